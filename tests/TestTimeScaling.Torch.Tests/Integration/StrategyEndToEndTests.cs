using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// Every strategy, through the fluent builder, on the embedded policy and PRM: small budgets, a few held-out
/// problems, and the properties a user relies on: it returns candidates and an answer drawn from them, it spends
/// something and no more than its budget, and the same seed gives the same result.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class StrategyEndToEndTests(EmbeddedModelsFixture models)
{
    private const int MaxNewTokens = 100;
    private const long TokenBudget = 2_000;

    /// <summary>A level-1 and a level-3 held-out problem: one the policy usually solves, one it often does not.</summary>
    private static readonly ArithmeticProblem[] Problems =
        [EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 1)[0], EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 3)[0]];

    /// <summary>A strategy under test: how to build it, and the most candidates its budget allows.</summary>
    private sealed record Case(Func<ScalingBuilder, ScalingPipeline> Build, int MaxCandidates, bool Scored);

    // Every budget is 4 samples (or rollouts) and 2,000 tokens; the arithmetic vocabulary has no letters, so budget
    // forcing and refinement get cues and templates written in it.
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["self-consistency"] = new(b => b.SelfConsistency(4), 4, Scored: false),
        ["adaptive-self-consistency"] = new(b => b.AdaptiveSelfConsistency(maxSamples: 4, batchSize: 2), 4, Scored: false),
        ["best-of-n"] = new(b => b.BestOfN(4), 4, Scored: true),
        ["weighted-best-of-n"] = new(b => b.WeightedBestOfN(4), 4, Scored: true),
        ["first-finish"] = new(b => b.FirstFinish(4), 4, Scored: false),
        ["budget-forcing"] = new(b => b.Using(new BudgetForcing(minThinkingTokens: 30, maxThinkingTokens: 80, continueCue: "Q", maxContinuations: 2)), 1, Scored: false),
        ["iterative-refinement"] = new(b => b.Using(new IterativeRefinement(maxRevisions: 2, revisionTemplate: "{problem}{solution}Q")), 3, Scored: true),
        // Beam search's candidates are the finished pool (at most MaxSamples) plus any beams left at the depth limit.
        ["beam-search"] = new(b => b.BeamSearch(beamWidth: 2, expansions: 2), 4 + 2, Scored: true),
        ["dvts"] = new(b => b.Dvts(subtrees: 2, width: 2), 2, Scored: true),
        ["particle-filtering"] = new(b => b.ParticleFiltering(particles: 4), 4, Scored: true),
        ["vote-over-beam-search"] = new(b => b.BeamSearch(beamWidth: 1, expansions: 2).VotedOver(2), 2, Scored: true),
    };

    public static TheoryData<string> Strategies => [.. Cases.Keys];

    private ScalingPipeline Pipeline(string name, long seed) =>
        Cases[name].Build(Scale.With(models.Sampler)
            .Verifier(models.Verifier)
            .Extractor(ArithmeticAnswerExtractor.Instance)
            .Sampling(new SamplingOptions { Temperature = 0.8, MaxNewTokens = MaxNewTokens, Seed = seed })
            .Budget(new Budget(MaxSamples: 4, MaxGeneratedTokens: TokenBudget)));

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Solves_held_out_problems_within_budget_and_reproducibly(string name)
    {
        var pipeline = Pipeline(name, seed: 11);
        var expected = Cases[name];
        foreach (var problem in Problems)
        {
            var result = await pipeline.SolveAsync(problem.ToProblem());

            Assert.NotEmpty(result.Candidates);
            Assert.InRange(result.Candidates.Count, 1, expected.MaxCandidates);
            Assert.NotEqual(SearchOutcome.Cancelled, result.Outcome);
            Assert.InRange(result.Usage.GeneratedTokens, 1, TokenBudget);
            Assert.True(result.Usage.ForwardPasses > 0, "the policy ran");
            Assert.True(result.Usage.PromptTokens > 0, "the prompt was prefilled");
            if (expected.Scored)
            {
                Assert.True(result.Usage.VerifierCalls > 0, "the PRM was called");
                Assert.All(result.Candidates, c => Assert.InRange(c.Score!.Value, 0.0, 1.0));
            }
            // The answer comes from a candidate that holds it (a vote's winner is one of the candidates' answers).
            if (result.Answer is not null)
                Assert.Contains(result.Candidates, c => c.Answer == result.Answer);
            if (result.Chosen is not null)
                Assert.Equal(result.Answer, result.Chosen.Answer);

            var again = await pipeline.SolveAsync(problem.ToProblem());
            Assert.Equal(result.Answer, again.Answer);
            Assert.Equal(result.Candidates.Select(c => c.Text), again.Candidates.Select(c => c.Text));
            Assert.Equal(result.Usage.GeneratedTokens, again.Usage.GeneratedTokens);
        }
    }

    [Fact]
    public async Task Majority_vote_over_the_trained_policy_answers_an_easy_problem_correctly()
    {
        // The embedded policy is trained; on the first level-1 held-out problem a vote of 4 must be right.
        var problem = Problems[0];
        var result = await Pipeline("self-consistency", seed: 3).SolveAsync(problem.ToProblem());
        Assert.Equal(problem.AnswerText, result.Answer);
    }

    [Fact]
    public async Task First_finish_keeps_a_finished_sample_and_stops_the_others_where_they_stand()
    {
        var problem = EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 5)[0].ToProblem();
        // Same seed: until the first row finishes, both calls draw the same tokens for the same rows.
        var all = await Pipeline("self-consistency", seed: 5).SolveAsync(problem);
        var first = await Pipeline("first-finish", seed: 5).SolveAsync(problem);

        Assert.Equal(4, first.Candidates.Count);
        Assert.NotNull(first.Chosen);
        Assert.NotNull(first.Chosen.Answer);
        Assert.NotEqual(FinishReason.Abandoned, first.Chosen.FinishReason);
        // The winner is the first finisher that has an answer; samples cut off without one cannot win.
        Assert.Equal(first.Chosen.GeneratedTokens, first.Candidates.Where(c => c.FinishReason != FinishReason.Abandoned && c.Answer is not null).Min(c => c.GeneratedTokens));
        // Abandoned rows are charged only what they generated: usage is the candidates' tokens, within the budget.
        Assert.Equal(first.Candidates.Sum(c => (long)c.GeneratedTokens), first.Usage.GeneratedTokens);
        Assert.True(first.Usage.GeneratedTokens <= TokenBudget, $"first-finish generated {first.Usage.GeneratedTokens} tokens (all four to the end: {all.Usage.GeneratedTokens})");
    }

    [Fact]
    public async Task A_tight_token_budget_is_spent_to_the_last_token()
    {
        var problem = Problems[1].ToProblem();
        // Less than two solutions' worth: each strategy spends exactly the budget, the engine cutting rows at its last token.
        const long tokens = 50;
        var budget = new Budget(MaxSamples: 4, MaxGeneratedTokens: tokens);
        foreach (var name in new[] { "best-of-n", "beam-search", "dvts", "particle-filtering", "self-consistency" })
        {
            var result = await Pipeline(name, seed: 2).WithBudget(budget).SolveAsync(problem);
            Assert.Equal(tokens, result.Usage.GeneratedTokens);
            Assert.Contains(result.Outcome, new[] { SearchOutcome.BudgetExhausted, SearchOutcome.NoAnswer });
        }
    }

    [Fact]
    public async Task Different_seeds_draw_different_samples()
    {
        var problem = Problems[1].ToProblem();
        var a = await Pipeline("self-consistency", seed: 1).SolveAsync(problem);
        var b = await Pipeline("self-consistency", seed: 2).SolveAsync(problem);
        Assert.NotEqual(a.Candidates.Select(c => c.Text), b.Candidates.Select(c => c.Text));
    }

    [Fact]
    public async Task Cancelling_mid_generation_throws_with_the_partial_result()
    {
        using var cancel = new CancellationTokenSource();
        // Cancel from inside the sampler's first call, so it lands while the engine is generating.
        var sampler = new CancellingSampler(models.Sampler, cancel);
        var pipeline = Scale.With(sampler).Verifier(models.Verifier).Extractor(ArithmeticAnswerExtractor.Instance)
            .Sampling(new SamplingOptions { Temperature = 0.8, MaxNewTokens = MaxNewTokens, Seed = 1 })
            .BeamSearch(beamWidth: 2, expansions: 2);

        var e = await Assert.ThrowsAsync<SearchCanceledException>(() => pipeline.SolveAsync(Problems[1].ToProblem(), cancel.Token));

        Assert.Equal(SearchOutcome.Cancelled, e.Partial.Outcome);
        Assert.Null(e.Partial.Answer);
    }

    /// <summary>Forwards to an engine and cancels the token as soon as the first call has started.</summary>
    private sealed class CancellingSampler(ISampler inner, CancellationTokenSource cancel) : ISampler
    {
        public SamplerCapabilities Capabilities => inner.Capabilities;

        public int CountTokens(string text) => inner.CountTokens(text);

        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
        {
            var call = inner.SampleAsync(request, cancellationToken);
            cancel.Cancel();
            return call;
        }
    }
}
