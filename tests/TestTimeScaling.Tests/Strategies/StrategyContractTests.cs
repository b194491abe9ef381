using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>Rules every strategy keeps: budgets, determinism, cancellation, failures.</summary>
public class StrategyContractTests
{
    private static readonly Problem P = FakeArithmetic.Make(11);

    public static TheoryData<string, int?, long?, bool> BudgetCases()
    {
        var d = new TheoryData<string, int?, long?, bool>();
        (int?, long?)[] budgets = [(1, null), (3, null), (16, null), (null, 40), (null, 300), (null, 2000), (5, 400)];
        foreach (var e in Catalog.All)
            foreach (var (s, t) in budgets)
                foreach (bool allowance in new[] { true, false })
                    if (allowance || t is not null) d.Add(e.Name, s, t, allowance);
        return d;
    }

    [Theory]
    [MemberData(nameof(BudgetCases))]
    public async Task Budget_is_never_exceeded(string name, int? samples, long? tokens, bool allowance)
    {
        var entry = Catalog.Get(name);
        var sampler = new CountingSampler(new ScriptedSampler(0.3, new SamplerCapabilities { SharedTokenAllowance = allowance }));
        var budget = new Budget(samples, tokens);
        var result = await entry.Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), budget, maxNewTokens: 64));

        if (tokens is { } t)
        {
            // Even the worst case of every call (each row running to its cap, or the call's whole allowance) fits.
            Assert.True(sampler.PeakCommittedTokens <= t, $"committed {sampler.PeakCommittedTokens} > {t}");
            Assert.True(sampler.GeneratedTokens <= t);
        }
        if (samples is { } s) Assert.True(entry.SamplesUsed(sampler, result) <= s, $"{entry.SamplesUsed(sampler, result)} samples > {s}");
        Assert.Equal(sampler.GeneratedTokens, result.Usage.GeneratedTokens);
        Assert.NotEqual(SearchOutcome.Cancelled, result.Outcome);
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Same_seed_same_result(string name)
    {
        async Task<SearchResult> Run(long seed) =>
            await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler(0.4), new FakePrm(0.05), Budget.Samples(16), seed));
        var a = await Run(5);
        var b = await Run(5);
        Assert.Equal(a.Answer, b.Answer);
        Assert.Equal(a.Outcome, b.Outcome);
        Assert.Equal(a.Candidates.Select(c => c.Text), b.Candidates.Select(c => c.Text));
        Assert.Equal(a.Usage, b.Usage);
        Assert.Equal(a.Trace.ToJson(), b.Trace.ToJson());
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Cancellation_mid_search_throws_with_the_usage_spent(string name)
    {
        using var cts = new CancellationTokenSource();
        var sampler = new CountingSampler(new ScriptedSampler(0.3, new SamplerCapabilities { MaxRowsPerRequest = 2 }))
        {
            AfterCall = _ => cts.Cancel(),
        };
        var e = await Assert.ThrowsAsync<SearchCanceledException>(() =>
            Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), Budget.Samples(16)), cts.Token).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(SearchOutcome.Cancelled, e.Partial.Outcome);
        Assert.Null(e.Partial.Answer);
        Assert.True(e.Partial.Usage.GeneratedTokens > 0);
        Assert.Equal(sampler.GeneratedTokens, e.Partial.Usage.GeneratedTokens);
        Assert.Equal(1, sampler.Calls);
        Assert.Contains(e.Partial.Trace.Events, ev => ev.Kind.EndsWith("cancel", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Already_cancelled_spends_nothing(string name)
    {
        var sampler = new CountingSampler(new ScriptedSampler());
        var e = await Assert.ThrowsAsync<SearchCanceledException>(() =>
            Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm()), new CancellationToken(true)));
        Assert.Equal(SearchOutcome.Cancelled, e.Partial.Outcome);
        Assert.Equal(Usage.Zero.GeneratedTokens, e.Partial.Usage.GeneratedTokens);
        Assert.Equal(0, sampler.Calls);
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Zero_completions_give_no_answer(string name)
    {
        var sampler = new ScriptedSampler { ReturnNothing = true };
        var result = await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), new Budget(64, 100_000)))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SearchOutcome.NoAnswer, result.Outcome);
        Assert.Null(result.Answer);
    }

    private sealed class NoAnswers : IAnswerExtractor
    {
        public string? Extract(string solution) => null;
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Unextractable_answers_give_no_answer(string name)
    {
        var context = Contexts.For(new ScriptedSampler(0.3), new FakePrm(), new Budget(16, 20_000), maxNewTokens: 32) with { AnswerExtractor = new NoAnswers() };
        var result = await Catalog.Get(name).Make().SolveAsync(P, context).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SearchOutcome.NoAnswer, result.Outcome);
        Assert.Null(result.Answer);
        Assert.True(result.Usage.GeneratedTokens > 0);
    }

    [Theory]
    [MemberData(nameof(Catalog.VerifierNames), MemberType = typeof(Catalog))]
    public async Task Throwing_verifier_surfaces_as_verifier_exception(string name)
    {
        var prm = new FakePrm { ThrowFromCall = 1 };
        var e = await Assert.ThrowsAsync<VerifierException>(() => Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler(), prm)));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.True(e.UsageSoFar.GeneratedTokens > 0);
        Assert.Equal(0, e.CandidateIndex);
        Assert.False(string.IsNullOrEmpty(e.Strategy));
        Assert.Contains(e.Strategy, e.Message);
    }

    [Theory]
    [MemberData(nameof(Catalog.VerifierNames), MemberType = typeof(Catalog))]
    public async Task Missing_verifier_is_an_argument_exception_naming_it(string name)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler())));
        Assert.Equal("Verifier", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Catalog.StepwiseNames), MemberType = typeof(Catalog))]
    public async Task Search_without_step_delimiter_support_is_not_supported(string name)
    {
        var sampler = new ScriptedSampler(0, new SamplerCapabilities { StepDelimiter = false });
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm())));
        Assert.Contains("StepDelimiter", e.Message);
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Zero_budget_is_rejected(string name)
    {
        var strategy = Catalog.Get(name).Make();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => strategy.SolveAsync(P, Contexts.For(new ScriptedSampler(), new FakePrm(), new Budget(0))));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => strategy.SolveAsync(P, Contexts.For(new ScriptedSampler(), new FakePrm(), Budget.Tokens(0))));
        await Assert.ThrowsAsync<ArgumentException>(() => strategy.SolveAsync(P, Contexts.For(new ScriptedSampler(), new FakePrm(), new Budget())));
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Error_free_model_gets_the_right_answer(string name)
    {
        var result = await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler(0), new FakePrm(), new Budget(16, 20_000)));
        Assert.Equal(P.ReferenceAnswer, result.Answer);
        Assert.NotNull(result.Chosen);
        Assert.Contains(result.Chosen, result.Candidates);
        Assert.Contains("\"events\"", result.Trace.ToJson());
    }

    [Fact]
    public void Budget_validate_rejects_zero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Budget(0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => Budget.Tokens(0).Validate());
    }
}
