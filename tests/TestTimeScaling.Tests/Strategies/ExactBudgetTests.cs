using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>
/// Token budgets are exact: a strategy held to B tokens can spend all B of them (rows are cut at the budget's
/// last token, not refused for their worst case), and never more.
/// </summary>
public class ExactBudgetTests
{
    private static readonly Problem P = FakeArithmetic.Make(11);

    /// <summary>
    /// Tokens a strategy may leave unspent by design: budget forcing keeps room for its forced answer
    /// (AnswerMaxTokens) and the answer is usually shorter.
    /// </summary>
    private static int Slack(string name) => name == "budget-forcing" ? 16 : 0;

    // Budget forcing ends on its own once it has thought MinThinkingTokens; a minimum above every budget here makes the budget bind.
    private static ISearchStrategy Make(string name) => name == "budget-forcing" ? new BudgetForcing(500, 1000) : Catalog.Get(name).Make();

    public static TheoryData<string, long> TightBudgets()
    {
        var d = new TheoryData<string, long>();
        foreach (var e in Catalog.All)
            foreach (long b in new long[] { 7, 100, 173 }) d.Add(e.Name, b);
        return d;
    }

    [Theory]
    [MemberData(nameof(TightBudgets))]
    public async Task A_token_budget_is_spent_to_the_last_token(string name, long budget)
    {
        // Every step is wrong, so no verifier is ever satisfied and no vote ever decisive: the budget is what stops each strategy.
        var sampler = new CountingSampler(new ScriptedSampler(1.0));
        var result = await Make(name).SolveAsync(P, Contexts.For(sampler, new FakePrm(), Budget.Tokens(budget), maxNewTokens: 64));

        Assert.InRange(result.Usage.GeneratedTokens, budget - Slack(name), budget);
        Assert.Equal(sampler.GeneratedTokens, result.Usage.GeneratedTokens);
        if (Slack(name) == 0) Assert.Equal(budget, result.Usage.GeneratedTokens);
        Assert.Contains(result.Outcome, new[] { SearchOutcome.BudgetExhausted, SearchOutcome.NoAnswer });
    }

    [Theory]
    [MemberData(nameof(TightBudgets))]
    public async Task A_sampler_without_a_shared_allowance_gets_per_row_caps_and_never_overspends(string name, long budget)
    {
        var sampler = new CountingSampler(new ScriptedSampler(1.0, new SamplerCapabilities { SharedTokenAllowance = false }));
        var result = await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), Budget.Tokens(budget), maxNewTokens: 64));

        Assert.True(sampler.PeakCommittedTokens <= budget, $"committed {sampler.PeakCommittedTokens} > {budget}");
        Assert.InRange(result.Usage.GeneratedTokens, 1, budget);
        Assert.True(sampler.Requests.All(r => r.MaxTotalNewTokens is not null));
    }

    [Fact]
    public async Task Beam_search_held_to_best_of_n_tokens_is_not_starved()
    {
        // The token-matched comparison of the scaling study: beam search gets what best-of-4 generated. Checked at
        // each call's worst case (rows x MaxNewTokens) it could not even pay for its first round.
        var context = Contexts.For(new ScriptedSampler(0.2), new FakePrm(), Budget.Samples(4), maxNewTokens: 256);
        var bestOf4 = await new BestOfN(4).SolveAsync(P, context);
        long tokens = bestOf4.Usage.GeneratedTokens;
        Assert.True(tokens < 4 * 4 * 256);

        var beam = await new StepBeamSearch(1, 4, 12).SolveAsync(P, context with { Budget = Budget.Tokens(tokens) });
        Assert.True(beam.Usage.GeneratedTokens <= tokens);
        Assert.NotNull(beam.Answer);
    }

    [Fact]
    public async Task A_sampler_that_overspends_its_allowance_is_a_sampler_exception()
    {
        var e = await Assert.ThrowsAsync<SamplerException>(() =>
            new SelfConsistency(4).SolveAsync(P, Contexts.For(new AllowanceIgnoringSampler(new ScriptedSampler(0.3)), budget: Budget.Tokens(30), maxNewTokens: 64)));
        Assert.Contains("allowance of 30", e.Message);
        Assert.Equal(nameof(AllowanceIgnoringSampler), e.Sampler);
    }

    /// <summary>Claims to honour the shared allowance but passes the request on without it and with a larger cap.</summary>
    private sealed class AllowanceIgnoringSampler(ISampler inner) : ISampler
    {
        public SamplerCapabilities Capabilities { get; } = new() { SharedTokenAllowance = true };
        public int CountTokens(string text) => inner.CountTokens(text);
        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) =>
            inner.SampleAsync(request with { MaxTotalNewTokens = null, Options = request.Options with { MaxNewTokens = 64 } }, cancellationToken);
    }
}
