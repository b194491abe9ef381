using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class SeededRandomTests
{
    [Fact]
    public void MatchesTheSplitMix64ReferenceSequence()
    {
        // Reference values of SplitMix64 from seed 0 (Vigna's splitmix64.c), so the sequence can never drift.
        var random = new SeededRandom(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    [Fact]
    public void BoundedDrawsStayInRangeAndCoverIt()
    {
        var random = new SeededRandom(3);
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++)
        {
            int x = random.Next(-3, 4);
            Assert.InRange(x, -3, 3);
            seen.Add(x);
            Assert.InRange(random.NextDouble(), 0.0, 1.0 - double.Epsilon);
            Assert.InRange(random.Next(5), 0, 4);
        }
        Assert.Equal(7, seen.Count);
        Assert.Equal(0, random.Next(0));
        Assert.Equal(5, random.Next(5, 5));
    }

    [Fact]
    public void SameSeedSameSequence()
    {
        var a = new SeededRandom(99);
        var b = new SeededRandom(99);
        Assert.Equal(Enumerable.Range(0, 50).Select(_ => a.Next(1000)), Enumerable.Range(0, 50).Select(_ => b.Next(1000)));
    }

    [Fact]
    public void RejectsReversedBounds()
    {
        var random = new SeededRandom(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => random.Next(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.Next(-1));
    }
}
