
namespace TestTimeScaling.Tests.Planning;

public class SaturationPlannerTests
{
    [Fact]
    public void Plans_the_saturation_point_and_reports_the_model()
    {
        var plan = new SaturationPlanner(new() { MarginalGainThreshold = 0.01, MaxSamples = 1000 }).Plan(0.1);
        Assert.Equal(22, plan.Samples); // ⌈ln(0.1) / ln(0.9)⌉ = ⌈21.85⌉
        Assert.False(plan.Capped);
        Assert.Equal(1 - Math.Pow(0.9, 22), plan.PredictedCoverage, 1e-14);
        Assert.Equal(0.1 * Math.Pow(0.9, 22), plan.MarginalGain, 1e-14);
        Assert.Null(plan.ExpectedGeneratedTokens);
    }

    [Fact]
    public void Caps_at_the_budget()
    {
        var plan = new SaturationPlanner(new() { MarginalGainThreshold = 1e-6, MaxSamples = 16 }).Plan(0.05);
        Assert.Equal(16, plan.Samples);
        Assert.True(plan.Capped);
    }

    [Fact]
    public void Per_token_threshold_is_the_per_sample_one_scaled_by_tokens()
    {
        var perToken = new SaturationPlanner(new() { MarginalGainThreshold = 2e-5, TokensPerSample = 500, MaxSamples = 1000 }).Plan(0.2);
        var perSample = new SaturationPlanner(new() { MarginalGainThreshold = 0.01, MaxSamples = 1000 }).Plan(0.2);
        Assert.Equal(perSample.Samples, perToken.Samples);
        Assert.Equal(perToken.Samples * 500.0, perToken.ExpectedGeneratedTokens);

        // Longer solutions cost more per sample, so they saturate sooner.
        var longer = new SaturationPlanner(new() { MarginalGainThreshold = 2e-5, TokensPerSample = 5000, MaxSamples = 1000 }).Plan(0.2);
        Assert.True(longer.Samples < perToken.Samples);
    }

    [Fact]
    public void A_pilot_that_always_succeeds_plans_one_sample()
    {
        var planner = new SaturationPlanner();
        Assert.Equal(1, planner.Plan(PilotRun.FromOutcomes([true, true, true, true])).Samples);
        Assert.Equal(1, planner.Plan(1.0).Samples);
    }

    [Fact]
    public void A_pilot_without_successes_plans_with_the_laplace_estimate()
    {
        var planner = new SaturationPlanner(new() { MarginalGainThreshold = 0.01, MaxSamples = 100 });
        var plan = planner.Plan(new PilotRun(8, 0));
        Assert.Equal(0.1, plan.SuccessRate, 1e-15); // (0 + 1) / (8 + 2)
        Assert.Equal(22, plan.Samples);
    }

    [Fact]
    public void Set_plan_averages_coverage_curves()
    {
        var planner = new SaturationPlanner(new() { MarginalGainThreshold = 0.001, MaxSamples = 10_000 });
        // One pilot: the set plan is the single-problem plan.
        Assert.Equal(planner.Plan(0.3).Samples, planner.Plan([new PilotRun(10, 3)]).Samples);

        // A mix of easy and hard problems: the point where the mean gain falls to ε, checked against the definition.
        PilotRun[] pilots = [new(10, 9), new(10, 5), new(20, 1), new(50, 1)];
        var plan = planner.Plan(pilots);
        double MeanGain(int n) => pilots.Average(p => CoverageModel.MarginalGain(p.EstimatedSuccessRate, n));
        Assert.True(MeanGain(plan.Samples) <= 0.001);
        Assert.True(MeanGain(plan.Samples - 1) > 0.001);
        Assert.False(plan.Capped);
        // The hard tail keeps the set gaining long after a problem at the mean rate would have saturated.
        Assert.True(plan.Samples > planner.Plan(pilots.Average(p => p.EstimatedSuccessRate)).Samples);
    }

    [Fact]
    public void Rejects_invalid_options_naming_them()
    {
        Assert.Equal("MarginalGainThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new SaturationPlanner(new() { MarginalGainThreshold = 0 })).ParamName);
        Assert.Equal("MaxSamples", Assert.Throws<ArgumentOutOfRangeException>(() => new SaturationPlanner(new() { MaxSamples = 0 })).ParamName);
        Assert.Equal("TokensPerSample", Assert.Throws<ArgumentOutOfRangeException>(() => new SaturationPlanner(new() { TokensPerSample = -1 })).ParamName);
        Assert.Equal("pilots", Assert.Throws<ArgumentException>(() => new SaturationPlanner().Plan(Array.Empty<PilotRun>())).ParamName);
    }
}
