using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

public class SequentialStrategyTests
{
    private static readonly Problem P = FakeArithmetic.Make(31, 3);

    [Fact]
    public async Task Budget_forcing_suppresses_an_early_end_with_the_cue_until_the_minimum()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new BudgetForcing(120, 400).SolveAsync(P, Contexts.For(sampler, budget: Budget.Tokens(1000)));
        Assert.Contains("Wait", r.Chosen!.Text);
        Assert.True(r.Chosen.GeneratedTokens >= 120);
        Assert.Equal(P.ReferenceAnswer, r.Answer);
        Assert.Contains(r.Trace.Events, e => e.Kind == "continue");
        // Later calls continue the earlier text as a prefix.
        Assert.StartsWith(sampler.Requests[1].Prefixes[0][..10], r.Chosen.Text);
    }

    [Fact]
    public async Task Budget_forcing_forces_the_answer_at_the_maximum()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new BudgetForcing(0, 20, answerCue: "A: ").SolveAsync(P, Contexts.For(sampler, budget: Budget.Tokens(1000)));
        Assert.Contains(r.Trace.Events, e => e.Kind == "force");
        Assert.Contains("\nA: ", r.Chosen!.Text);
        Assert.NotNull(r.Answer);
        Assert.Equal(20, sampler.Requests[0].Options.MaxNewTokens);
        Assert.EndsWith("A: ", sampler.Requests[^1].Prefixes[0]);
    }

    [Fact]
    public async Task Budget_forcing_accepts_a_natural_end_between_min_and_max()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new BudgetForcing(0, 400).SolveAsync(P, Contexts.For(sampler, budget: Budget.Tokens(1000)));
        Assert.Equal(1, sampler.Calls);
        Assert.Equal(P.ReferenceAnswer, r.Answer);
        Assert.Equal(SearchOutcome.Completed, r.Outcome);
    }

    [Fact]
    public async Task Refinement_stops_once_the_verifier_is_satisfied()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var r = await new IterativeRefinement(5, satisfiedScore: 0.9).SolveAsync(P, Contexts.For(sampler, new FakePrm()));
        Assert.Equal(1, sampler.Calls);
        Assert.Equal(P.ReferenceAnswer, r.Answer);
    }

    [Fact]
    public async Task Refinement_revises_with_feedback_and_keeps_the_best()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.6));
        var strategy = new IterativeRefinement(4, satisfiedScore: 2.0);
        var r = await strategy.SolveAsync(P, Contexts.For(sampler, new FakePrm(0.05)));
        Assert.Equal(5, sampler.Calls);
        Assert.Contains("A previous attempt:", sampler.Requests[1].Prompt);
        Assert.StartsWith(P.Prompt, sampler.Requests[1].Prompt);
        Assert.Equal(r.Candidates.Where(c => c.Answer != null).Max(c => c.Score!.Value), r.Chosen!.Score!.Value);
        Assert.Equal(5, r.Usage.VerifierCalls);
    }

    [Fact]
    public void Options_are_validated_with_the_parameter_name()
    {
        Assert.Equal("maxThinkingTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetForcing(10, 5)).ParamName);
        Assert.Equal("minThinkingTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetForcing(-1, 5)).ParamName);
        Assert.Equal("answerMaxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetForcing(1, 5, answerMaxTokens: 0)).ParamName);
        Assert.Equal("maxRevisions", Assert.Throws<ArgumentOutOfRangeException>(() => new IterativeRefinement(-1)).ParamName);
        Assert.Equal("revisionTemplate", Assert.Throws<ArgumentException>(() => new IterativeRefinement(revisionTemplate: "no slot")).ParamName);
    }
}
