
namespace TestTimeScaling.Tests.Metrics;

public class IntervalTests
{
    private const double Z95 = 1.959963984540054;
    private const double Z99 = 2.5758293035489004;

    private static double[] Bernoulli(int n, double p, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.NextDouble() < p ? 1.0 : 0.0).ToArray();
    }

    [Fact]
    public void Bootstrap_contains_the_mean_and_its_standard_error_matches_the_analytic_one()
    {
        var values = Bernoulli(400, 0.6, seed: 1);
        var ci = BootstrapInterval.Compute(values);
        double mean = values.Average();
        Assert.Equal(mean, ci.Mean, 1e-12);
        Assert.True(ci.Contains(mean));
        Assert.True(ci.Lower < mean && mean < ci.Upper);
        // The bootstrap SE estimates sd/√n; with 2000 resamples it is within 10% of it.
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.Equal(sd / Math.Sqrt(values.Length), ci.StandardError, 0.1 * sd / Math.Sqrt(values.Length));
        // And the percentile interval is close to mean ± z·SE for a near-normal mean.
        Assert.Equal(Z95 * ci.StandardError, (ci.Upper - ci.Lower) / 2, 0.15 * Z95 * ci.StandardError);
    }

    [Fact]
    public void Bootstrap_narrows_as_problems_grow()
    {
        double w50 = BootstrapInterval.Compute(Bernoulli(50, 0.5, 2)).Width;
        double w500 = BootstrapInterval.Compute(Bernoulli(500, 0.5, 2)).Width;
        double w5000 = BootstrapInterval.Compute(Bernoulli(5000, 0.5, 2)).Width;
        Assert.True(w500 < w50 && w5000 < w500, $"{w50} {w500} {w5000}");
        // Width scales like 1/√n: ten times the problems, about a third of the width.
        Assert.InRange(w5000 / w500, 0.25, 0.4);
    }

    [Fact]
    public void Bootstrap_is_deterministic_per_seed()
    {
        var values = Bernoulli(100, 0.3, 5);
        Assert.Equal(BootstrapInterval.Compute(values, seed: 9), BootstrapInterval.Compute(values, seed: 9));
        Assert.NotEqual(BootstrapInterval.Compute(values, seed: 9), BootstrapInterval.Compute(values, seed: 10));
    }

    [Fact]
    public void Bootstrap_of_constant_values_is_a_point()
    {
        var ci = BootstrapInterval.Compute([0.7, 0.7, 0.7]);
        Assert.Equal(0.7, ci.Lower, 1e-15);
        Assert.Equal(0.7, ci.Upper, 1e-15);
        Assert.Equal(0.0, ci.StandardError, 1e-12); // rounding in the mean of 2000 equal means
    }

    [Fact]
    public void Bootstrap_rejects_bad_arguments_naming_them()
    {
        Assert.Equal("perProblemValues", Assert.Throws<ArgumentException>(() => BootstrapInterval.Compute([])).ParamName);
        Assert.Equal("perProblemValues", Assert.Throws<ArgumentException>(() => BootstrapInterval.Compute([double.NaN])).ParamName);
        Assert.Equal("confidence", Assert.Throws<ArgumentOutOfRangeException>(() => BootstrapInterval.Compute([1.0], confidence: 1.0)).ParamName);
        Assert.Equal("resamples", Assert.Throws<ArgumentOutOfRangeException>(() => BootstrapInterval.Compute([1.0], resamples: 1)).ParamName);
    }

    [Theory]
    [InlineData(0, 10, 0.95, Z95)]
    [InlineData(7, 10, 0.95, Z95)]
    [InlineData(30, 100, 0.99, Z99)]
    [InlineData(50, 50, 0.95, Z95)]
    public void Wilson_matches_the_formula_with_tabled_z(int successes, int trials, double confidence, double z)
    {
        double n = trials, p = successes / n;
        double center = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z / (1 + z * z / n) * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n));
        var ci = WilsonInterval.Compute(successes, trials, confidence);
        Assert.Equal(p, ci.Mean, 1e-15);
        Assert.Equal(Math.Max(0, center - half), ci.Lower, 1e-12);
        Assert.Equal(Math.Min(1, center + half), ci.Upper, 1e-12);
        Assert.InRange(ci.Lower, 0.0, 1.0);
        Assert.InRange(ci.Upper, 0.0, 1.0);
    }

    [Fact]
    public void Wilson_rejects_bad_arguments_naming_them()
    {
        Assert.Equal("trials", Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Compute(0, 0)).ParamName);
        Assert.Equal("successes", Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Compute(3, 2)).ParamName);
        Assert.Equal("confidence", Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Compute(1, 2, 0)).ParamName);
    }
}
