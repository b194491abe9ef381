
namespace TestTimeScaling.Tests.Metrics;

public class AurocTests
{
    [Fact]
    public void PerfectSeparationIsOneAndReversedIsZero()
    {
        Assert.Equal(1.0, Auroc.Compute([0.9, 0.8, 0.2, 0.1], [true, true, false, false]), 12);
        Assert.Equal(0.0, Auroc.Compute([0.1, 0.2, 0.8, 0.9], [true, true, false, false]), 12);
    }

    [Fact]
    public void MatchesPairCountingWithTies()
    {
        var random = new Random(3);
        var scores = Enumerable.Range(0, 200).Select(_ => Math.Round(random.NextDouble(), 1)).ToArray();
        var labels = scores.Select(s => random.NextDouble() < s).ToArray();
        double wins = 0, pairs = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = 0; j < scores.Length; j++)
                if (labels[i] && !labels[j])
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        Assert.Equal(wins / pairs, Auroc.Compute(scores, labels), 12);
    }

    [Fact]
    public void OneClassOnlyIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Auroc.Compute([0.1, 0.2], [true, true]));
        Assert.Throws<ArgumentException>(() => Auroc.Compute([0.1], [true, false]));
    }
}
