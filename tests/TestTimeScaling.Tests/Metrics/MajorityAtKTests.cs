
namespace TestTimeScaling.Tests.Metrics;

public class MajorityAtKTests
{
    public static TheoryData<string?[], string> SmallCases => new()
    {
        { ["a", "b", "a", "c", "b", "a", null], "a" },
        { ["a", "b", "a", "c", "b", "a", null], "b" },
        { ["x", "y", "y", "z", "z", "z"], "y" },
        { ["x", null, null, "y", "x", "y", "w"], "x" },
        { ["1", "2", "3", "4", "1"], "1" },
        { ["r", "r", "r", "q"], "r" },
    };

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Exact_equals_the_ordered_draw_definition(string?[] answers, string reference)
    {
        for (int k = 1; k <= answers.Length; k++)
        {
            double oracle = VoteOracle.Majority(answers, reference, k);
            Assert.True(Math.Abs(MajorityAtK.Exact(answers, reference, k) - oracle) <= 1e-12, $"k={k}: {MajorityAtK.Exact(answers, reference, k)} vs {oracle}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Monte_Carlo_is_within_0_02_of_exact(string?[] answers, string reference)
    {
        // 10 000 trials give a standard error of at most 0.005, so 0.02 is four of them.
        for (int k = 1; k <= answers.Length; k++)
        {
            double exact = MajorityAtK.Exact(answers, reference, k);
            double estimate = MajorityAtK.Estimate(answers, reference, k, seed: 7 * k);
            Assert.True(Math.Abs(estimate - exact) <= 0.02, $"k={k}: {estimate} vs {exact}");
        }
    }

    [Fact]
    public void Exact_handles_many_samples_with_few_distinct_answers()
    {
        // 200 samples: enumerating C(200, 15) subsets is out of the question, count vectors are not.
        var answers = Enumerable.Range(0, 200).Select(i => i % 10 < 4 ? "right" : i % 10 < 7 ? "wrong" : i % 10 < 9 ? "other" : null).ToArray();
        double exact = MajorityAtK.Exact(answers, "right", 15);
        double estimate = MajorityAtK.Estimate(answers, "right", 15, seed: 3);
        Assert.InRange(exact, 0.4, 1.0);
        Assert.True(Math.Abs(estimate - exact) <= 0.02, $"{estimate} vs {exact}");
    }

    [Fact]
    public void Special_cases()
    {
        string?[] answers = ["a", "b", "a", "c"];
        Assert.Equal(0.5, MajorityAtK.Exact(answers, "a", 1), 1e-15);  // k = 1 is the share of correct samples
        Assert.Equal(1.0, MajorityAtK.Exact(answers, "a", 4), 1e-15);  // k = n is the full vote
        Assert.Equal(0.0, MajorityAtK.Exact(answers, "z", 2));
        Assert.Equal(0.0, MajorityAtK.Estimate(answers, "z", 2));
        Assert.Equal(0.5, MajorityAtK.Exact(["a", "b"], "a", 2), 1e-15); // a full tie: first in a random order
        Assert.Equal(0.0, MajorityAtK.Exact([null, null], "a", 1));
    }

    [Fact]
    public void Estimate_is_deterministic_per_seed()
    {
        string?[] answers = ["a", "b", "a", "c", "b", "a", null, "c", "c"];
        Assert.Equal(MajorityAtK.Estimate(answers, "a", 4, trials: 500, seed: 11), MajorityAtK.Estimate(answers, "a", 4, trials: 500, seed: 11));
        Assert.NotEqual(MajorityAtK.Estimate(answers, "a", 4, trials: 500, seed: 11), MajorityAtK.Estimate(answers, "a", 4, trials: 500, seed: 12));
    }

    [Fact]
    public void Mean_averages_problems()
    {
        var problems = new[]
        {
            new ProblemSamples(["a", "a", "b"], "a"),
            new ProblemSamples(["b", "c", "c"], "b"),
        };
        double exactMean = (MajorityAtK.Exact(problems[0].Answers, "a", 2) + MajorityAtK.Exact(problems[1].Answers, "b", 2)) / 2;
        Assert.Equal(exactMean, MajorityAtK.Mean(problems, 2), 0.02);
        Assert.Equal(2, MajorityAtK.PerProblem(problems, 2).Length);
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        string?[] answers = ["a", "b"];
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => MajorityAtK.Estimate(answers, "a", 3)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => MajorityAtK.Exact(answers, "a", 0)).ParamName);
        Assert.Equal("trials", Assert.Throws<ArgumentOutOfRangeException>(() => MajorityAtK.Estimate(answers, "a", 1, trials: 0)).ParamName);
        Assert.Equal("answers", Assert.Throws<ArgumentException>(() => MajorityAtK.Estimate([], "a", 1)).ParamName);
        Assert.Equal("problems", Assert.Throws<ArgumentException>(() => MajorityAtK.Mean([], 1)).ParamName);
    }
}
