using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

public sealed class LogTicksTests
{
    [Fact]
    public void TicksRunAtOneTwoFiveStepsAndEncloseTheRange()
    {
        Assert.Equal([20.0, 50, 100, 200], LogTicks.OneTwoFive(30, 119));
        Assert.Equal([1.0, 2, 5, 10, 20], LogTicks.OneTwoFive(1, 16));
        Assert.Equal([100.0, 200, 500, 1000, 2000, 5000], LogTicks.OneTwoFive(150, 4200));
    }

    [Fact]
    public void LabelsAreShort() => Assert.Equal(["5", "200", "2k", "1.5M"], new[] { 5.0, 200, 2000, 1.5e6 }.Select(LogTicks.Label));

    [Fact]
    public void NonPositiveRangeIsRejected() => Assert.Throws<ArgumentOutOfRangeException>(() => LogTicks.OneTwoFive(0, 10));

    [Fact]
    public void LabelsThatWouldCoverOneAnotherAreLeftOut()
    {
        var placer = new LabelPlacer(0, 1, 0, 100);
        Assert.Equal(-14f, placer.Place(0.5, 50));
        Assert.Equal(4f, placer.Place(0.5, 50)); // the same spot again: below instead
        Assert.Null(placer.Place(0.505, 50)); // both spots taken
        Assert.Equal(-14f, placer.Place(0.9, 50)); // far away: placed
    }
}
