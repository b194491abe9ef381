
namespace TestTimeScaling.Tests.Planning;

public class CoverageModelTests
{
    [Theory]
    [InlineData(0.3, 5)]
    [InlineData(0.01, 100)]
    [InlineData(0.9, 2)]
    public void Coverage_and_marginal_gain_follow_the_formula(double p, int n)
    {
        Assert.Equal(1 - Math.Pow(1 - p, n), CoverageModel.Coverage(p, n), 1e-14);
        Assert.Equal(CoverageModel.Coverage(p, n + 1) - CoverageModel.Coverage(p, n), CoverageModel.MarginalGain(p, n), 1e-14);
    }

    [Fact]
    public void Coverage_keeps_precision_for_tiny_rates()
    {
        Assert.Equal(1e-12, CoverageModel.Coverage(1e-12, 1), 1e-24);
        Assert.Equal(1.0, CoverageModel.Coverage(1.0, 3));
        Assert.Equal(0.0, CoverageModel.Coverage(0.5, 0));
    }

    public static TheoryData<double, double> RateAndEpsilon => new()
    {
        { 0.05, 0.01 }, { 0.1, 0.01 }, { 0.2, 0.001 }, { 0.3, 0.01 }, { 0.5, 0.01 }, { 0.02, 0.0001 }, { 0.7, 0.0005 },
    };

    [Theory]
    [MemberData(nameof(RateAndEpsilon))]
    public void Saturation_point_matches_the_closed_form(double p, double epsilon)
    {
        // p(1 − p)^N ≤ ε  ⇔  N ≥ ln(ε/p) / ln(1 − p).
        int expected = Math.Max(1, (int)Math.Ceiling(Math.Log(epsilon / p) / Math.Log(1 - p)));
        int n = CoverageModel.SaturationPoint(p, epsilon);
        Assert.Equal(expected, n);
        Assert.True(CoverageModel.MarginalGain(p, n) <= epsilon);
        if (n > 1) Assert.True(CoverageModel.MarginalGain(p, n - 1) > epsilon);
    }

    [Fact]
    public void Saturation_point_is_monotone_in_epsilon()
    {
        foreach (double p in new[] { 0.01, 0.1, 0.3, 0.6, 0.95 })
        {
            int previous = 0;
            foreach (double epsilon in new[] { 0.2, 0.1, 0.05, 0.01, 0.001, 1e-4, 1e-6 })
            {
                int n = CoverageModel.SaturationPoint(p, epsilon);
                Assert.True(n >= previous, $"p={p} ε={epsilon}: {n} < {previous}");
                previous = n;
            }
        }
    }

    [Fact]
    public void Saturation_edge_rates()
    {
        Assert.Equal(1, CoverageModel.SaturationPoint(1.0, 1e-9));
        Assert.Equal(1, CoverageModel.SaturationPoint(0.0, 1e-9));
        Assert.Equal(1, CoverageModel.SaturationPoint(0.005, 0.01)); // the first extra sample already adds < ε
        Assert.Equal(int.MaxValue, CoverageModel.SaturationPoint(1e-300, 1e-320));
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        Assert.Equal("successRate", Assert.Throws<ArgumentOutOfRangeException>(() => CoverageModel.SaturationPoint(1.5, 0.01)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => CoverageModel.SaturationPoint(0.5, 0)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => CoverageModel.Coverage(0.5, -1)).ParamName);
    }
}
