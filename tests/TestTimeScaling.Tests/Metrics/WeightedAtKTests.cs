
namespace TestTimeScaling.Tests.Metrics;

public class WeightedAtKTests
{
    // Dyadic scores add exactly in any order, so ties mean the same thing to the oracle and the estimator.
    public static TheoryData<string?[], double[], string> SmallCases => new()
    {
        { ["a", "b", "a", "c", "b", null], [0.25, 0.75, 0.25, 0.5, 0.5, 1.0], "a" },
        { ["a", "b", "a", "c", "b", null], [0.25, 0.75, 0.25, 0.5, 0.5, 1.0], "b" },
        { ["x", "y", "y", "x", "z", "x", "y"], [1, 0, 1, 0, 1, 1, 0], "x" },
        { ["p", "q", "p", "q", "q"], [0.125, 0.5, 0.875, 0.25, 0.0625], "p" },
    };

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Exact_equals_the_ordered_draw_definition(string?[] answers, double[] scores, string reference)
    {
        for (int k = 1; k <= answers.Length; k++)
        {
            double oracle = VoteOracle.Weighted(answers, scores, reference, k);
            Assert.True(Math.Abs(WeightedAtK.Exact(answers, scores, reference, k) - oracle) <= 1e-12, $"k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Monte_Carlo_is_within_0_02_of_exact(string?[] answers, double[] scores, string reference)
    {
        for (int k = 1; k <= answers.Length; k++)
        {
            double exact = WeightedAtK.Exact(answers, scores, reference, k);
            double estimate = WeightedAtK.Estimate(answers, scores, reference, k, seed: k);
            Assert.True(Math.Abs(estimate - exact) <= 0.02, $"k={k}: {estimate} vs {exact}");
        }
    }

    [Fact]
    public void Equal_scores_reduce_to_majority()
    {
        string?[] answers = ["a", "b", "a", "c", "b", "a", null];
        double[] ones = Enumerable.Repeat(1.0, answers.Length).ToArray();
        for (int k = 1; k <= answers.Length; k++)
            Assert.Equal(MajorityAtK.Exact(answers, "b", k), WeightedAtK.Exact(answers, ones, "b", k), 1e-12);
    }

    [Fact]
    public void A_trusted_minority_answer_wins()
    {
        // One sample of "right" scored 0.9 beats two of "wrong" scored 0.1 whenever it is drawn.
        string?[] answers = ["right", "wrong", "wrong"];
        double[] scores = [0.9, 0.1, 0.1];
        Assert.Equal(1.0, WeightedAtK.Exact(answers, scores, "right", 3), 1e-15);
        Assert.Equal(0.0, MajorityAtK.Exact(answers, "right", 3), 1e-15);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => WeightedAtK.Estimate(["a", "b"], [1.0], "a", 1)).ParamName);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => WeightedAtK.Exact(["a"], [double.NaN], "a", 1)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => WeightedAtK.Exact(new string?[60], new double[60], "a", 30)).ParamName);
        Assert.Equal("problems", Assert.Throws<ArgumentException>(() => WeightedAtK.Mean([new ProblemSamples(["a"], "a")], 1)).ParamName);
    }
}
