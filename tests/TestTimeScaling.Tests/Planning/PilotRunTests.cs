
namespace TestTimeScaling.Tests.Planning;

public class PilotRunTests
{
    [Fact]
    public void From_answers_counts_agreement_with_the_majority()
    {
        var pilot = PilotRun.FromAnswers(["5", "5", "6", null, "5", "7", "5", "6"]);
        Assert.Equal(8, pilot.Samples);
        Assert.Equal(4, pilot.Successes);
        Assert.Equal(0.5, pilot.EstimatedSuccessRate, 1e-15);
    }

    [Fact]
    public void From_scores_sums_probabilities()
    {
        var pilot = PilotRun.FromScores([0.9, 0.5, 0.1, 0.5]);
        Assert.Equal(0.5, pilot.SuccessRate, 1e-15);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => PilotRun.FromScores([1.5])).ParamName);
    }

    [Fact]
    public void Laplace_only_when_no_success_was_seen()
    {
        Assert.Equal(1.0 / 6, PilotRun.FromOutcomes([false, false, false, false]).EstimatedSuccessRate, 1e-15);
        Assert.Equal(1.0 / 6, PilotRun.FromAnswers([null, null, null, null]).EstimatedSuccessRate, 1e-15);
        Assert.Equal(0.25, PilotRun.FromOutcomes([false, true, false, false]).EstimatedSuccessRate, 1e-15);
        Assert.Equal(1.0, PilotRun.FromOutcomes([true, true]).EstimatedSuccessRate);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => new PilotRun(0, 0)).ParamName);
        Assert.Equal("successes", Assert.Throws<ArgumentOutOfRangeException>(() => new PilotRun(4, 5)).ParamName);
        Assert.Equal("outcomes", Assert.Throws<ArgumentException>(() => PilotRun.FromOutcomes([])).ParamName);
        Assert.Equal("answers", Assert.Throws<ArgumentException>(() => PilotRun.FromAnswers([])).ParamName);
    }
}
