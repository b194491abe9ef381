
namespace TestTimeScaling.Tests.Metrics;

public class AccuracyReportTests
{
    [Fact]
    public void Reports_coverage_majority_and_weighted_accuracy()
    {
        var problems = new[]
        {
            new ProblemSamples(["4", "4", "5", "4"], "4", [0.9, 0.8, 0.2, 0.7]),
            new ProblemSamples(["1", "2", "2", null], "1", [0.9, 0.1, 0.1, 0.0]),
            new ProblemSamples(["8", "9", "9", "9"], "7", [0.5, 0.5, 0.5, 0.5]),
        };
        var report = AccuracyReport.Compute(problems, k: 2, resamples: 500, trials: 4000);
        Assert.Equal(2, report.K);
        Assert.Equal(3, report.Problems);
        Assert.Equal(PassAtK.Mean(problems, 2), report.Coverage.Mean, 1e-12);
        Assert.Equal(MajorityAtK.Mean(problems, 2, trials: 4000), report.MajorityAccuracy.Mean, 1e-12);
        Assert.NotNull(report.WeightedAccuracy);
        // Coverage bounds any selection rule; weighting rescues the second problem's trusted minority answer.
        Assert.True(report.Coverage.Mean >= report.MajorityAccuracy.Mean);
        Assert.True(report.Coverage.Mean >= report.WeightedAccuracy!.Mean);
        Assert.True(report.WeightedAccuracy.Mean > report.MajorityAccuracy.Mean);
    }

    [Fact]
    public void Weighted_accuracy_is_absent_without_scores()
    {
        var report = AccuracyReport.Compute([new ProblemSamples(["a", "b"], "a")], k: 1, resamples: 10, trials: 100);
        Assert.Null(report.WeightedAccuracy);
        Assert.Equal(0.5, report.Coverage.Mean, 1e-15);
    }
}
