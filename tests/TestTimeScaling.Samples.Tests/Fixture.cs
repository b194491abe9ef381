namespace TestTimeScaling.Samples.Tests;

/// <summary>
/// A tiny recorded run (3 problems, budgets 1 and 4, traces of all 3 problems), made by
/// <c>dotnet run -c Release --project samples/TestTimeScaling.Samples.Scaling -- --problems 3 --budgets 1,4
/// --strategies single,majority,best-of-n,best-of-n-perfect,beam-search,dvts,particle-filtering --traces 3
/// --out tests/TestTimeScaling.Samples.Tests/Fixtures/tiny-run</c> (only results.json and traces.json are kept).
/// </summary>
internal static class Fixture
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-run");

    public static string ResultsJson => Path.Combine(Folder, "results.json");

    /// <summary>A fresh copy of the fixture in a temporary folder, so rendering into it leaves the original alone.</summary>
    public static string CopyToTemp()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tts-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Folder)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        return dir;
    }
}
