using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

public class ParallelStrategyTests
{
    private static readonly Problem P = FakeArithmetic.Make(21, 5);

    [Fact]
    public async Task Best_of_n_returns_the_highest_scored_candidate_with_an_answer()
    {
        var r = await new BestOfN(12).SolveAsync(P, Contexts.For(new ScriptedSampler(0.4), new FakePrm(0.05), Budget.Samples(12)));
        Assert.Equal(12, r.Candidates.Count);
        Assert.Equal(r.Candidates.Where(c => c.Answer != null).Max(c => c.Score!.Value), r.Chosen!.Score!.Value);
        Assert.Same(r.Chosen.Answer, r.Answer);
        Assert.Equal(12, r.Usage.VerifierCalls);
        Assert.Equal(SearchOutcome.Completed, r.Outcome);
    }

    [Fact]
    public async Task Best_of_n_aggregation_changes_the_ranking_value()
    {
        var r = await new BestOfN(6, StepAggregation.Mean).SolveAsync(P, Contexts.For(new ScriptedSampler(0.4), new FakePrm(), Budget.Samples(6)));
        Assert.All(r.Candidates, c => Assert.Equal(c.Score!.StepScores!.Average(), c.Score.Value, 9));
    }

    [Fact]
    public async Task Budget_smaller_than_n_cuts_n_and_says_so()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.3));
        var r = await new BestOfN(16).SolveAsync(P, Contexts.For(sampler, new FakePrm(), Budget.Samples(5)));
        Assert.Equal(5, sampler.Rows);
        Assert.Equal(SearchOutcome.BudgetExhausted, r.Outcome);
        Assert.NotNull(r.Answer);
    }

    [Fact]
    public async Task Weighted_best_of_n_picks_the_answer_with_the_largest_score_sum()
    {
        var r = await new WeightedBestOfN(16).SolveAsync(P, Contexts.For(new ScriptedSampler(0.4), new FakePrm(0.1), Budget.Samples(16)));
        var sums = r.Candidates.Where(c => c.Answer != null).GroupBy(c => c.Answer).ToDictionary(g => g.Key!, g => g.Sum(c => c.Score!.Value));
        Assert.Equal(sums.MaxBy(kv => kv.Value).Key, r.Answer);
        Assert.Equal(r.Candidates.Where(c => c.Answer == r.Answer).Max(c => c.Score!.Value), r.Chosen!.Score!.Value);
    }

    [Fact]
    public async Task Self_consistency_returns_the_majority()
    {
        var r = await new SelfConsistency(15).SolveAsync(P, Contexts.For(new ScriptedSampler(0.3), budget: Budget.Samples(15)));
        var counts = r.Candidates.Where(c => c.Answer != null).GroupBy(c => c.Answer).Select(g => g.Count()).ToList();
        Assert.Equal(counts.Max(), r.Candidates.Count(c => c.Answer == r.Answer));
        Assert.Equal(0, r.Usage.VerifierCalls);
    }

    [Fact]
    public async Task Majority_of_16_beats_a_single_sample_on_average()
    {
        int single = 0, majority = 0;
        for (int i = 0; i < 40; i++)
        {
            var problem = FakeArithmetic.Make(100 + i, 4);
            var context = Contexts.For(new ScriptedSampler(0.25), seed: i);
            if ((await new SelfConsistency(1).SolveAsync(problem, context with { Budget = Budget.Samples(1) })).Answer == problem.ReferenceAnswer) single++;
            if ((await new SelfConsistency(16).SolveAsync(problem, context)).Answer == problem.ReferenceAnswer) majority++;
        }
        Assert.True(majority > single + 8, $"majority {majority}/40 vs single {single}/40");
    }

    [Fact]
    public async Task First_finish_keeps_the_shortest_and_charges_abandoned_rows_only_what_they_generated()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.5) { Verbosity = 0.4 });
        var r = await new FirstFinishSearch(8).SolveAsync(P, Contexts.For(sampler, budget: Budget.Samples(8)));
        Assert.Equal(1, sampler.Requests[0].StopAfterFinished);
        Assert.Contains(r.Candidates, c => c.FinishReason == FinishReason.Abandoned);
        Assert.Equal(r.Candidates.Where(c => c.FinishReason != FinishReason.Abandoned).Min(c => c.GeneratedTokens), r.Chosen!.GeneratedTokens);
        Assert.Equal(r.Candidates.Sum(c => c.GeneratedTokens), r.Usage.GeneratedTokens);
        Assert.True(r.Usage.GeneratedTokens <= 8L * r.Chosen.GeneratedTokens);
    }

    [Fact]
    public async Task First_finish_falls_back_to_the_shortest_when_the_sampler_cannot_stop_early()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.5, new SamplerCapabilities { StopAfterFinished = false }) { Verbosity = 0.4 });
        var r = await new FirstFinishSearch(8).SolveAsync(P, Contexts.For(sampler, budget: Budget.Samples(8)));
        Assert.Null(sampler.Requests[0].StopAfterFinished);
        Assert.All(r.Candidates, c => Assert.NotEqual(FinishReason.Abandoned, c.FinishReason));
        Assert.Equal(r.Candidates.Min(c => c.GeneratedTokens), r.Chosen!.GeneratedTokens);
        Assert.Contains(r.Trace.Events, e => e.Kind == "fallback");
    }

    [Fact]
    public async Task Adaptive_self_consistency_stops_early_when_samples_agree()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new AdaptiveSelfConsistency(32, 4, 0.95, 4).SolveAsync(P, Contexts.For(sampler, budget: Budget.Samples(32)));
        Assert.Equal(4, sampler.Rows);
        Assert.Equal(P.ReferenceAnswer, r.Answer);
        Assert.Equal(SearchOutcome.Completed, r.Outcome);
    }

    [Fact]
    public async Task Adaptive_self_consistency_samples_more_when_samples_disagree()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.5));
        await new AdaptiveSelfConsistency(32, 4, 0.95, 4).SolveAsync(P, Contexts.For(sampler, budget: Budget.Samples(32)));
        Assert.True(sampler.Rows > 4);
    }

    [Theory]
    [InlineData(0, 0, 0.5)]
    [InlineData(4, 0, 31.0 / 32)]
    [InlineData(3, 3, 0.5)]
    public void Beta_stopping_rule(int leader, int runnerUp, double expected) =>
        Assert.Equal(expected, AdaptiveSelfConsistency.LeaderProbability(leader, runnerUp), 9);

    [Fact]
    public void Options_are_validated_with_the_parameter_name()
    {
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new BestOfN(0)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedBestOfN(-1)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new SelfConsistency(0)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new FirstFinishSearch(0)).ParamName);
        Assert.Equal("confidence", Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveSelfConsistency(confidence: 0.4)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveSelfConsistency(batchSize: 0)).ParamName);
    }
}
