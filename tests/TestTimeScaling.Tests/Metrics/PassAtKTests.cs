using System.Numerics;

namespace TestTimeScaling.Tests.Metrics;

public class PassAtKTests
{
    [Fact]
    public void Equals_brute_force_enumeration_of_k_subsets_for_all_n_up_to_10()
    {
        // Samples 0..c−1 are the correct ones; pass@k is the share of k-subsets that contain one.
        for (int n = 1; n <= 10; n++)
        for (int c = 0; c <= n; c++)
        for (int k = 1; k <= n; k++)
        {
            int correctMask = (1 << c) - 1;
            int subsets = 0, hits = 0;
            for (int mask = 0; mask < 1 << n; mask++)
            {
                if (BitOperations.PopCount((uint)mask) != k) continue;
                subsets++;
                if ((mask & correctMask) != 0) hits++;
            }
            double expected = (double)hits / subsets;
            Assert.True(Math.Abs(PassAtK.Estimate(n, c, k) - expected) <= 1e-12, $"n={n} c={c} k={k}: {PassAtK.Estimate(n, c, k)} vs {expected}");
        }
    }

    [Fact]
    public void Large_n_is_finite_and_matches_exact_and_log_space_formulas()
    {
        const int n = 10_000, c = 3, k = 100;
        double actual = PassAtK.Estimate(n, c, k);
        Assert.True(double.IsFinite(actual));

        // Exact: C(n−c,k)/C(n,k) = Π_{i<c} (n−k−i)/(n−i); both products fit in a long.
        long numerator = 1, denominator = 1;
        for (int i = 0; i < c; i++)
        {
            numerator *= n - k - i;
            denominator *= n - i;
        }
        double exact = 1 - (double)numerator / denominator;
        Assert.Equal(exact, actual, 1e-14);

        // Log-space: exp(ln C(n−c,k) − ln C(n,k)), each log-binomial a sum of logs.
        double logSpace = 1 - Math.Exp(LogChoose(n - c, k) - LogChoose(n, k));
        Assert.Equal(logSpace, actual, 1e-12);
    }

    [Fact]
    public void Tiny_values_keep_relative_precision()
    {
        // pass@1 with one correct sample in a million is exactly 1e-6; 1 − Π(1 − k/i) in plain doubles loses ~10 digits.
        double actual = PassAtK.Estimate(1_000_000, 1, 1);
        Assert.True(Math.Abs(actual - 1e-6) <= 1e-6 * 1e-12, $"{actual}");
    }

    [Fact]
    public void Huge_problems_stay_finite()
    {
        double value = PassAtK.Estimate(200_000, 100_000, 99_999);
        Assert.True(double.IsFinite(value));
        Assert.Equal(1.0, value, 1e-15);
        Assert.Equal(0.25, PassAtK.Estimate(200_000, 50_000, 1), 1e-15);
    }

    [Theory]
    [InlineData(10, 3, 1, 0.3)]
    [InlineData(10, 0, 5, 0.0)]
    [InlineData(10, 10, 1, 1.0)]
    [InlineData(10, 6, 5, 1.0)] // n − c = 4 < k: every 5-subset holds a correct sample
    public void Simple_cases(int n, int c, int k, double expected) => Assert.Equal(expected, PassAtK.Estimate(n, c, k), 1e-15);

    [Theory]
    [InlineData(0, 0, 1, "n")]
    [InlineData(5, -1, 1, "c")]
    [InlineData(5, 6, 1, "c")]
    [InlineData(5, 2, 0, "k")]
    [InlineData(5, 2, 6, "k")]
    public void Rejects_out_of_range_arguments_naming_them(int n, int c, int k, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(n, c, k));
        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void Mean_averages_problems()
    {
        var problems = new[] { (10, 3), (10, 0), (4, 4) };
        Assert.Equal((0.3 + 0.0 + 1.0) / 3, PassAtK.Mean(problems, 1), 1e-15);
        Assert.Throws<ArgumentException>(() => PassAtK.Mean(Array.Empty<(int, int)>(), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Mean(problems, 5)); // k > n of the last problem
    }

    [Fact]
    public void Mean_over_samples_counts_ordinal_matches()
    {
        var problems = new[]
        {
            new ProblemSamples(["4", "4", "5", null], "4"),
            new ProblemSamples(["x", "X", "x", "y"], "X"),
        };
        Assert.Equal((PassAtK.Estimate(4, 2, 2) + PassAtK.Estimate(4, 1, 2)) / 2, PassAtK.Mean(problems, 2), 1e-15);
    }

    private static double LogChoose(int n, int k)
    {
        double sum = 0;
        for (int i = 1; i <= k; i++) sum += Math.Log(n - k + i) - Math.Log(i);
        return sum;
    }
}
