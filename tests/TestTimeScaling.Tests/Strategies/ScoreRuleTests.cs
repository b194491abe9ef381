namespace TestTimeScaling.Tests.Strategies;

/// <summary>How weighted votes count negative scores (the rule in docs/exceptions.md).</summary>
public class ScoreRuleTests
{
    [Fact]
    public void Negative_scores_cannot_make_an_answer_with_fewer_votes_win()
    {
        // Summed raw, B (-0.1) would beat A (-1.5) with a third of A's votes.
        var vote = WeightedVote.Select([("B", -0.1), ("A", -0.5), ("A", -0.5), ("A", -0.5)]);
        Assert.Equal("A", vote.Winner);
        Assert.Equal(0.0, vote.WinnerScore);
    }

    [Fact]
    public void A_negative_score_adds_nothing_but_takes_nothing_away()
    {
        var vote = WeightedVote.Select([("A", 0.3), ("B", 0.2), ("B", -5.0)]);
        Assert.Equal("A", vote.Winner);
        Assert.Equal(0.2, vote.Tallies.Single(t => t.Answer == "B").Score);
    }

    [Fact]
    public void Fewer_votes_win_only_with_a_larger_positive_sum()
    {
        Assert.Equal("A", WeightedVote.Select([("B", 0.1), ("A", 0.9), ("B", 0.1), ("B", 0.1)]).Winner);
        Assert.Equal("B", WeightedVote.Select([("A", 0.3), ("B", 0.1), ("B", 0.1), ("B", 0.1)]).Winner);
    }

    [Fact]
    public void Equal_sums_go_to_more_votes_then_to_the_first()
    {
        Assert.Equal("B", WeightedVote.Select([("A", 0.5), ("B", 0.25), ("B", 0.25)]).Winner);
        Assert.Equal("A", WeightedVote.Select([("A", 0.5), ("B", 0.5)]).Winner);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_scores_are_refused(double score)
    {
        var e = Assert.Throws<ArgumentException>(() => WeightedVote.Select(["A", "B"], [0.5, score]));
        Assert.Contains("[1]", e.Message);
    }

    [Fact]
    public async Task Weighted_best_of_n_follows_the_rule()
    {
        // Three samples say 7, one says 9; the verifier scores the 7s at -0.5 and the 9 at -0.1.
        var sampler = new FixedSampler(["A: 9", "A: 7", "A: 7", "A: 7"]);
        var verifier = new ByAnswer(new Dictionary<string, double> { ["A: 9"] = -0.1, ["A: 7"] = -0.5 });
        var result = await new WeightedBestOfN(4).SolveAsync(new Problem("Q"), new SearchContext
        {
            Sampler = sampler, Verifier = verifier, AnswerExtractor = LastLineAnswerExtractor.Default, Budget = Budget.Samples(4),
        });
        Assert.Equal("7", result.Answer);
    }

    private sealed class FixedSampler(IReadOnlyList<string> texts) : ISampler
    {
        public SamplerCapabilities Capabilities { get; } = new();
        public int CountTokens(string text) => text.Length;
        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SampleResult(
                texts.Take(request.RowCount).Select(t => new Completion { Text = t, TokenIds = t.Select(c => (int)c).ToArray(), FinishReason = FinishReason.Stop }).ToList(),
                new Usage { GeneratedTokens = texts.Take(request.RowCount).Sum(t => t.Length) }));
    }

    private sealed class ByAnswer(IReadOnlyDictionary<string, double> scores) : IVerifier
    {
        public VerifierKind Kind => VerifierKind.Outcome;
        public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<VerifierScore>>(solutions.Select(s => new VerifierScore(scores[s])).ToList());
    }
}
