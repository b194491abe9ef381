
namespace TestTimeScaling.Tests.Planning;

public class StrategySelectorTests
{
    [Theory]
    [InlineData(1.0, 1)]
    [InlineData(0.8, 1)]
    [InlineData(0.79, 2)]
    [InlineData(0.5, 3)]
    [InlineData(0.4, 3)]
    [InlineData(0.25, 4)]
    [InlineData(0.1, 5)]
    [InlineData(0.0, 5)]
    public void Default_estimator_bins_into_five_levels(double rate, int level) =>
        Assert.Equal(level, DifficultyEstimator.Default.Level(rate));

    [Fact]
    public void Quantile_levels_hold_equal_shares()
    {
        var rates = Enumerable.Range(0, 100).Select(i => i / 99.0).ToArray();
        var estimator = DifficultyEstimator.FromQuantiles(rates, levels: 5);
        Assert.Equal(5, estimator.Levels);
        var counts = rates.GroupBy(estimator.Level).ToDictionary(g => g.Key, g => g.Count());
        for (int level = 1; level <= 5; level++) Assert.Equal(20, counts[level]);
        Assert.Equal(1, estimator.Level(1.0));
        Assert.Equal(5, estimator.Level(0.0));
    }

    [Fact]
    public void Selector_maps_levels_as_configured()
    {
        var estimator = new DifficultyEstimator([0.3, 0.7]);
        var selector = new StrategySelector<string>(["easy", "medium", "hard"], estimator,
            new SaturationPlanner(new() { MarginalGainThreshold = 0.01, MaxSamples = 64 }));

        var easy = selector.Select(PilotRun.FromAnswers(["4", "4", "4", "4", "4", "4", "4", "3"]));
        Assert.Equal(1, easy.Level);
        Assert.Equal("easy", easy.Strategy);
        Assert.Equal(0.875, easy.EstimatedSuccessRate, 1e-15);
        Assert.Equal(CoverageModel.SaturationPoint(0.875, 0.01), easy.Samples);

        var medium = selector.Select(0.5);
        Assert.Equal((2, "medium"), (medium.Level, medium.Strategy));

        var hard = selector.Select(new PilotRun(8, 0));
        Assert.Equal((3, "hard"), (hard.Level, hard.Strategy));
        Assert.True(hard.Samples > easy.Samples);
    }

    [Fact]
    public void Selector_is_generic_over_what_the_table_holds()
    {
        var selector = new StrategySelector<Func<int>>([() => 1, () => 2, () => 3, () => 4, () => 5]);
        Assert.Equal(4, selector.Select(0.3).Strategy());
    }

    [Fact]
    public void Default_table_sends_easy_problems_to_voting_and_hard_ones_to_search()
    {
        var selector = DefaultStrategyTable.CreateSelector();
        Assert.Equal(DefaultStrategyTable.SelfConsistency, selector.Select(0.95).Strategy);
        Assert.Equal(DefaultStrategyTable.WeightedBestOfN, selector.Select(0.5).Strategy);
        Assert.Equal(DefaultStrategyTable.BeamSearch, selector.Select(0.05).Strategy);
    }

    [Fact]
    public void Rejects_bad_configuration_naming_it()
    {
        Assert.Equal("strategiesByLevel", Assert.Throws<ArgumentException>(() => new StrategySelector<string>(["a", "b"])).ParamName);
        Assert.Equal("boundaries", Assert.Throws<ArgumentException>(() => new DifficultyEstimator([0.5, 0.2])).ParamName);
        Assert.Equal("boundaries", Assert.Throws<ArgumentException>(() => new DifficultyEstimator([1.5])).ParamName);
        Assert.Equal("successRate", Assert.Throws<ArgumentOutOfRangeException>(() => DifficultyEstimator.Default.Level(-0.1)).ParamName);
        Assert.Equal("levels", Assert.Throws<ArgumentOutOfRangeException>(() => DifficultyEstimator.FromQuantiles([0.5], 0)).ParamName);
    }
}
