
namespace TestTimeScaling.Tests.Metrics;

public class VoteTests
{
    [Fact]
    public void Majority_picks_the_most_frequent_answer_and_counts_all()
    {
        var vote = MajorityVote.Select(["7", "8", "7", null, "9", "7"]);
        Assert.Equal("7", vote.Winner);
        Assert.Equal(new[] { "7", "8", "9" }, vote.Tallies.Select(t => t.Answer));
        Assert.Equal(new[] { 3, 1, 1 }, vote.Tallies.Select(t => t.Count));
        Assert.Equal(new[] { 0, 1, 4 }, vote.Tallies.Select(t => t.FirstIndex));
        Assert.Equal(1, vote.Abstentions);
        Assert.Equal(6, vote.SampleCount);
        Assert.Equal(0.5, vote.Agreement, 1e-15);
    }

    [Fact]
    public void Majority_tie_goes_to_the_answer_that_appeared_first()
    {
        Assert.Equal("b", MajorityVote.Select([null, "b", "a", "a", "b"]).Winner);
        Assert.Equal("a", MajorityVote.Select(["a", "b", "b", "a"]).Winner);
        // Not ordinal order: "9" appears first and wins over "10".
        Assert.Equal("9", MajorityVote.Select(["9", "10"]).Winner);
    }

    [Fact]
    public void Majority_of_abstentions_only_has_no_winner()
    {
        var vote = MajorityVote.Select([null, null]);
        Assert.Null(vote.Winner);
        Assert.Null(vote.WinnerTally);
        Assert.Equal(0.0, vote.Agreement);
        Assert.Null(MajorityVote.Select([]).Winner);
    }

    [Fact]
    public void Weighted_picks_the_largest_sum_not_the_most_votes()
    {
        var vote = WeightedVote.Select(["a", "a", "b", null], [0.25, 0.25, 0.75, 5.0]);
        Assert.Equal("b", vote.Winner);
        Assert.Equal(0.5, vote.Tallies[0].Score, 1e-15);
        Assert.Equal(0.75, vote.WinnerTally!.Score, 1e-15);
    }

    [Fact]
    public void Weighted_tie_goes_to_more_votes_then_to_the_answer_that_appeared_first()
    {
        Assert.Equal("y", WeightedVote.Select([("x", 0.5), ("y", 0.25), ("y", 0.25)]).Winner);
        Assert.Equal("x", WeightedVote.Select([("x", 0.5), ("y", 0.5)]).Winner);
        Assert.Equal("y", WeightedVote.Select([("y", 0.5), ("x", 0.5)]).Winner);
    }

    [Fact]
    public void Weighted_rejects_bad_scores()
    {
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => WeightedVote.Select(["a"], [0.5, 0.5])).ParamName);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => WeightedVote.Select(["a"], [double.NaN])).ParamName);
        Assert.Throws<ArgumentException>(() => WeightedVote.Select([("a", double.PositiveInfinity)]));
    }
}
