using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace TestTimeScaling.Benchmarks;

/// <summary>Generated tokens per second: N x NewTokens over the mean time of one operation.</summary>
internal sealed class TokensPerSecondColumn : IColumn
{
    public string Id => nameof(TokensPerSecondColumn);
    public string ColumnName => "Tokens/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Generated tokens per second (N x NewTokens / mean)";
    // Only suites with an N parameter generate N x NewTokens tokens per operation.
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => c.Parameters.Items.Any(p => p.Name == "N"));
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "NA";
        if (!benchmarkCase.Parameters.Items.Any(p => p.Name == "N")) return "-";
        int n = (int)benchmarkCase.Parameters["N"];
        double seconds = stats.Mean / 1e9;
        return (n * DecodeThroughputBenchmarks.NewTokens / seconds).ToString("N0");
    }
}
