using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

public sealed class ReportRenderingTests
{
    [Fact]
    public void AFinishedRunReRendersFromItsFilesWithoutRunningAnything()
    {
        string dir = Fixture.CopyToTemp();
        try
        {
            Assert.Equal(0, RunPresentation.Render(Path.Combine(dir, "results.json")));
            foreach (var name in new[] { "results.csv", RunPresentation.ScalingPng, RunPresentation.CoveragePng, RunPresentation.ReportFile })
                Assert.True(new FileInfo(Path.Combine(dir, name)).Length > 0, $"{name} was not written");
            string html = File.ReadAllText(Path.Combine(dir, RunPresentation.ReportFile));
            // Self-contained: the plots are inline and nothing is loaded from elsewhere.
            Assert.Contains("src=\"data:image/png;base64,", html);
            Assert.DoesNotContain("http://", html);
            Assert.DoesNotContain("https://", html);
            Assert.Contains("beam-search@4 on", html);
            Assert.Contains("particle-filtering@4 on", html);
            var report = ResultFiles.Read(Path.Combine(dir, "results.json"));
            foreach (var cell in report.Cells) Assert.Contains($"<td>{cell.Strategy}</td><td>{cell.Budget}</td>", html);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ResultsReadBackAsWritten()
    {
        var report = ResultFiles.Read(Fixture.ResultsJson);
        Assert.Equal(File.ReadAllText(Fixture.ResultsJson), ResultFiles.ToJson(report));
        var searches = ResultFiles.ReadTraces(Path.Combine(Fixture.Folder, ResultFiles.TracesFile));
        Assert.Equal(9, searches.Count); // 3 problems x beam search, DVTS, particle filtering at N = 4
        Assert.All(searches, s => Assert.Equal(4, s.Budget));
    }

    [Fact]
    public void AFileThatIsNotAResultsFileIsRefusedByName()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-results-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"hello\": 1}");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ResultFiles.Read(path));
            Assert.Contains(path, e.Message);
            File.WriteAllText(path, "[1, 2");
            Assert.Throws<InvalidDataException>(() => ResultFiles.Read(path));
        }
        finally { File.Delete(path); }
        Assert.Throws<FileNotFoundException>(() => ResultFiles.Read(path));
    }
}
