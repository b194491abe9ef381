using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

public class CompositionTests
{
    [Fact]
    public async Task Vote_over_refinement_chains_sums_usage_and_nests_traces()
    {
        var problem = FakeArithmetic.Make(41);
        var sampler = new CountingSampler(new ScriptedSampler(0.4));
        var strategy = SelfConsistency.Over(new IterativeRefinement(2, satisfiedScore: 0.9), 3);
        var r = await strategy.SolveAsync(problem, Contexts.For(sampler, new FakePrm(), Budget.Samples(9)));
        Assert.InRange(r.Candidates.Count, 1, 3);
        Assert.Equal(sampler.GeneratedTokens, r.Usage.GeneratedTokens);
        Assert.True(sampler.Rows <= 9);
        Assert.Contains(r.Trace.Events, e => e.Kind.StartsWith("iterative-refinement/", StringComparison.Ordinal));
        Assert.Equal("vote-over(iterative-refinement)", strategy.Name);
        Assert.NotNull(r.Answer);
    }

    [Fact]
    public async Task Runs_get_different_seeds()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.4));
        await new VoteOver(new SelfConsistency(1), 4).SolveAsync(FakeArithmetic.Make(42), Contexts.For(sampler, budget: Budget.Samples(4)));
        Assert.Equal(4, sampler.Requests.Select(q => q.Options.Seed).Distinct().Count());
    }

    [Fact]
    public async Task Too_small_a_budget_makes_fewer_runs()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new VoteOver(new SelfConsistency(2), 5).SolveAsync(FakeArithmetic.Make(43), Contexts.For(sampler, budget: Budget.Samples(3)));
        Assert.Equal(SearchOutcome.BudgetExhausted, r.Outcome);
        Assert.True(sampler.Rows <= 3);
    }
}
