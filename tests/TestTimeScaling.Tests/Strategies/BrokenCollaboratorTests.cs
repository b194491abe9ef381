using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>
/// One documented outcome, for every strategy, when a sampler or a verifier breaks its contract: a null
/// result, list, completion, text or token list is a <see cref="SamplerException"/> naming the sampler and row; a
/// NaN or infinite score is a <see cref="VerifierException"/> naming the verifier and candidate; finite negative
/// scores are valid.
/// </summary>
public class BrokenCollaboratorTests
{
    private static readonly Problem P = FakeArithmetic.Make(11);

    public static TheoryData<string, Breakage> SamplerBreakages()
    {
        var d = new TheoryData<string, Breakage>();
        foreach (var e in Catalog.All)
            foreach (var b in Enum.GetValues<Breakage>()) d.Add(e.Name, b);
        return d;
    }

    [Theory]
    [MemberData(nameof(SamplerBreakages))]
    public async Task A_broken_sampler_result_is_a_sampler_exception_naming_sampler_and_row(string name, Breakage breakage)
    {
        var sampler = new BrokenSampler(new ScriptedSampler(0.3), breakage);
        var e = await Assert.ThrowsAsync<SamplerException>(() =>
            Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), new Budget(16, 20_000), maxNewTokens: 64)));
        Assert.Equal(nameof(BrokenSampler), e.Sampler);
        Assert.Equal(sampler.BrokenRow, e.Row);
        Assert.False(string.IsNullOrEmpty(e.Strategy));
        Assert.Contains(nameof(BrokenSampler), e.Message);
        Assert.Contains(e.Strategy, e.Message);
        // What the broken call generated was still spent.
        if (breakage is not (Breakage.NullResult or Breakage.NullList)) Assert.True(e.UsageSoFar.GeneratedTokens > 0);
    }

    [Theory]
    [MemberData(nameof(Catalog.Names), MemberType = typeof(Catalog))]
    public async Task Empty_text_is_a_candidate_without_an_answer(string name)
    {
        var sampler = new EmptySampler();
        var result = await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(sampler, new FakePrm(), new Budget(16, 20_000)))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SearchOutcome.NoAnswer, result.Outcome);
        Assert.Null(result.Answer);
    }

    public static TheoryData<string, double, bool> NonFiniteScores()
    {
        var d = new TheoryData<string, double, bool>();
        foreach (var e in Catalog.All.Where(e => e.NeedsVerifier))
            foreach (double v in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                foreach (bool step in new[] { false, true })
                    d.Add(e.Name, v, step);
        return d;
    }

    [Theory]
    [MemberData(nameof(NonFiniteScores))]
    public async Task A_non_finite_score_is_a_verifier_exception_naming_verifier_and_candidate(string name, double value, bool inStepScores)
    {
        var verifier = new ScoreOverride(new FakePrm()) { Index = 0, Value = value, InStepScores = inStepScores };
        var e = await Assert.ThrowsAsync<VerifierException>(() =>
            Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler(0.3), verifier, new Budget(16, 20_000), maxNewTokens: 64)));
        Assert.Equal(nameof(ScoreOverride), e.Verifier);
        Assert.Equal(0, e.CandidateIndex);
        Assert.Equal(1, e.BatchSize);
        Assert.Contains(nameof(ScoreOverride), e.Message);
        Assert.Contains("finite", e.Message);
        Assert.True(e.UsageSoFar.GeneratedTokens > 0);
    }

    [Theory]
    [MemberData(nameof(Catalog.VerifierNames), MemberType = typeof(Catalog))]
    public async Task Negative_scores_are_valid_and_rank_as_numbers(string name)
    {
        // Every score moved below zero keeps its order: an error-free model still gets its right answer chosen.
        var verifier = new ScoreOverride(new FakePrm()) { Shift = -1.0 };
        var result = await Catalog.Get(name).Make().SolveAsync(P, Contexts.For(new ScriptedSampler(0), verifier, new Budget(16, 20_000)));
        Assert.Equal(P.ReferenceAnswer, result.Answer);
        Assert.All(result.Candidates.Where(c => c.Score is not null), c => Assert.True(c.Score!.Value < 0));
    }

    /// <summary>Returns one empty, stopped completion per row.</summary>
    private sealed class EmptySampler : ISampler
    {
        public SamplerCapabilities Capabilities { get; } = new() { SharedTokenAllowance = true };
        public int CountTokens(string text) => text.Length;
        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
        {
            var rows = Enumerable.Range(0, request.RowCount)
                .Select(i => new Completion { PrefixIndex = i / request.N, Text = "", FinishReason = FinishReason.Stop })
                .ToList();
            return Task.FromResult(new SampleResult(rows, new Usage { ForwardPasses = 1 }));
        }
    }
}
