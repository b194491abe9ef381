using Microsoft.Playwright;
using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

/// <summary>Runs a tiny study on the embedded models, then opens its report.html in Debian's headless chromium: it loads
/// without errors, shows a beam search's tree with the chosen path and the branches the search dropped.</summary>
public sealed class BrowserReportTests
{
    [ChromiumFact]
    public async Task TheReportOfARecordedRunLoadsWithoutErrorsAndShowsABeamSearchTreeWithItsPrunedBranches()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tts-browser-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new ScalingOptions
            {
                Problems = 3,
                Budgets = [1, 4],
                Strategies = ["single", "majority", "beam-search", "particle-filtering"],
                OutputDirectory = dir,
                TraceProblems = 2,
            };
            Assert.Equal(0, await StudyRun.RunAsync(options, [], CancellationToken.None));
            Assert.True(File.Exists(Path.Combine(dir, ResultFiles.TracesFile)));

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumFactAttribute.Path,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            var page = await browser.NewPageAsync();
            var problems = new List<string>();
            page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"console {m.Type}: {m.Text}"); };
            page.PageError += (_, e) => problems.Add($"page error: {e}");
            page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url}");
            await page.GotoAsync(new Uri(Path.Combine(dir, RunPresentation.ReportFile)).AbsoluteUri);

            // The plots decoded from their data URIs.
            Assert.True(await page.EvaluateAsync<bool>("() => [...document.images].length >= 2 && [...document.images].every(i => i.complete && i.naturalWidth > 0)"));
            // A beam search: open its first recorded problem and count the tree's nodes; the chosen answer is named.
            var beam = page.Locator("details.search[data-strategy='beam-search']").First;
            await beam.EvaluateAsync("d => d.open = true");
            Assert.True(await beam.Locator(".tree .node").CountAsync() > 1);
            Assert.True(await beam.Locator(".tree .node.chosen").CountAsync() >= 1);
            Assert.Contains("chosen: answer", await beam.Locator(".end.picked").First.InnerTextAsync());
            Assert.True(await beam.Locator(".tree .node").First.IsVisibleAsync());
            // Some recorded beam search shows a branch it dropped, greyed, with why.
            var allBeams = page.Locator("details.search[data-strategy='beam-search']");
            await allBeams.EvaluateAllAsync<int>("ds => { ds.forEach(d => d.open = true); return ds.length; }");
            var pruned = allBeams.Locator(".tree .node.pruned .why");
            Assert.True(await pruned.CountAsync() >= 1, "no pruned branch in any recorded beam search");
            Assert.Contains("dropped: Depth", await pruned.First.InnerTextAsync());
            Assert.True(await pruned.First.IsVisibleAsync());
            Assert.Equal("rgb(138, 138, 138)", await allBeams.Locator(".tree .node.pruned").First.EvaluateAsync<string>("n => getComputedStyle(n).color"));
            // The filter hides the other strategies' searches.
            await page.SelectOptionAsync("#strategy-filter", "particle-filtering");
            Assert.False(await beam.IsVisibleAsync());
            Assert.True(await page.Locator("details.search[data-strategy='particle-filtering']").First.IsVisibleAsync());
            Assert.Empty(problems);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
