namespace TestTimeScaling.Tests.Voting;

public class AnswerVoteTests
{
    [Fact]
    public void Majority_excludes_nulls_and_breaks_ties_by_first_occurrence()
    {
        var v = AnswerVote.Majority(["3", null, "5", "5", "3", null, null]);
        Assert.Equal("3", v.Answer);
        Assert.Equal(2, v.Weight);
        Assert.Equal(4, v.TotalWeight);
        Assert.Equal(0.5, v.Share);
        Assert.Equal(2, v.RunnerUpWeight);
    }

    [Fact]
    public void Majority_of_nothing_is_null()
    {
        Assert.Null(AnswerVote.Majority([null, null]).Answer);
        Assert.Null(AnswerVote.Majority([]).Answer);
    }

    [Fact]
    public void Weighted_sums_scores_per_answer()
    {
        var v = AnswerVote.Weighted([("1", 0.9), ("2", 0.5), ("2", 0.5), (null, 5.0)]);
        Assert.Equal("2", v.Answer);
        Assert.Equal(1.0, v.Weight, 6);
        Assert.Throws<ArgumentException>(() => AnswerVote.Weighted([("1", double.NaN)]));
    }
}
