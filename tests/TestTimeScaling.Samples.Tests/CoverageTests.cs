using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

public sealed class CoverageTests
{
    [Theory]
    [InlineData(4, 1, 1, 0.25)]
    [InlineData(4, 1, 2, 0.5)]
    [InlineData(4, 2, 2, 1 - 1.0 / 6)] // 1 - C(2,2)/C(4,2)
    [InlineData(4, 0, 4, 0.0)]
    [InlineData(4, 1, 4, 1.0)]
    [InlineData(16, 3, 4, 1 - 715.0 / 1820)] // 1 - C(13,4)/C(16,4)
    public void PassAtKIsTheUnbiasedEstimate(int n, int c, int k, double expected) =>
        Assert.Equal(expected, Coverage.PassAtK(n, c, k), 12);

    [Fact]
    public void PassAtKRejectsImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Coverage.PassAtK(4, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Coverage.PassAtK(4, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Coverage.PassAtK(4, 1, 0));
    }

    [Fact]
    public void PowerLawFitRecoversTheLawItWasDrawnFrom()
    {
        const double a = -0.9, b = -0.45;
        var points = new[] { 1, 2, 4, 8, 16, 32 }.Select(k => (k, Math.Exp(a * Math.Pow(k, b)))).ToList();
        var fit = Coverage.FitPowerLaw(points);
        Assert.NotNull(fit);
        Assert.Equal(a, fit.Value.A, 9);
        Assert.Equal(b, fit.Value.B, 9);
        Assert.Equal(points[3].Item2, Coverage.Evaluate(fit.Value, 8), 9);
    }

    [Fact]
    public void PowerLawFitNeedsTwoPointsStrictlyInsideZeroAndOne() =>
        Assert.Null(Coverage.FitPowerLaw([(1, 0.5), (2, 1.0), (4, 1.0)]));

    [Fact]
    public void CoverageComesFromTheLargestMajorityCellsSamples()
    {
        var report = ResultFiles.Read(Fixture.ResultsJson);
        var curve = Coverage.From(report.Cells);
        Assert.NotNull(curve);
        var majority = report.Cells.Where(c => c.Strategy == "majority").MaxBy(c => c.Budget)!;
        Assert.Equal([1, 2, 4], curve.Points.Select(p => p.K));
        // pass@1 is the mean share of right samples; coverage never falls as k grows.
        Assert.Equal(majority.Problems.Average(p => (double)p.CorrectCandidates!.Value / p.Candidates), curve.Points[0].Coverage, 12);
        Assert.True(curve.Points.Zip(curve.Points.Skip(1)).All(p => p.Second.Coverage >= p.First.Coverage));
    }
}
