using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

/// <summary>
/// The allocator rows of the main job: a cell at N spends at most what majority@N spent over the same problems, and
/// its records go through the table, highlights, files, plots and re-rendering like any other cell's.
/// </summary>
public sealed class AllocatorRowTests
{
    [Fact]
    public async Task The_allocator_cell_never_spends_more_than_the_majority_cell_it_is_matched_to()
    {
        var options = new ScalingOptions { Problems = 5, Strategies = ["majority", "allocator", "allocator-weighted"], Budgets = [1, 4], Seed = 7, TraceProblems = 0 };
        using var embedded = new EmbeddedLanes(1);
        var runner = new ScalingRunner(embedded.Lanes, options);
        var problems = ProblemSelection.Evenly(options.Problems);
        var cells = await StudyProgress.RunAsync([.. runner.Cells().Select(c => (c.Strategy.Name, c.Budget))], problems.Count,
            progress => runner.RunAsync(problems, progress, CancellationToken.None));

        Assert.Equal(6, cells.Count);
        foreach (var cell in cells.Where(c => c.Strategy != "majority"))
        {
            var majority = cells.Single(c => c.Strategy == "majority" && c.Budget == cell.Budget);
            long spent = cell.Problems.Sum(r => r.GeneratedTokens), budget = majority.Problems.Sum(r => r.GeneratedTokens);
            Assert.Equal(problems.Select(p => p.Id), cell.Problems.Select(r => r.ProblemId));
            Assert.True(spent <= budget, $"{cell.Strategy}@{cell.Budget} spent {spent} tokens, more than majority@{cell.Budget}'s {budget}");
            // It uses the budget: pilots on every problem, then more where the vote is split.
            Assert.True(spent > budget / 2, $"{cell.Strategy}@{cell.Budget} spent only {spent} of {budget} tokens");
            Assert.All(cell.Problems, r => Assert.True(r.Candidates >= 1 && r.GeneratedTokens > 0 && r.Seconds > 0, $"{cell.Strategy}@{cell.Budget} {r.ProblemId}: {r}"));
            Assert.All(cell.Problems, r => Assert.Equal(r.Answer is not null && r.Answer == r.Reference, r.Correct));
            // Only the weighted row asks the PRM.
            Assert.Equal(cell.Strategy == "allocator-weighted", cell.MeanVerifierCalls > 0);
        }
    }

    [Fact]
    public async Task The_total_budget_is_the_matched_cells_tokens_over_the_problems_run_and_a_missing_record_is_named()
    {
        var problems = ProblemSelection.Evenly(3);
        var spec = StrategyCatalog.Find("allocator")!;
        var records = problems.Select((p, i) => new ProblemRecord(p.Id, p.Level, p.AnswerText, null, false, SearchOutcome.Completed, 1, 100 + i, 0, 0, 0, 0))
            .ToDictionary(r => r.ProblemId);
        Assert.Equal(303, AllocatorCell.TotalTokens(spec, 4, problems, records));
        records.Remove(problems[1].Id);
        var e = Assert.Throws<InvalidOperationException>(() => AllocatorCell.TotalTokens(spec, 4, problems, records));
        Assert.Contains(problems[1].Id, e.Message);
        Assert.Contains("majority", e.Message);

        // A budget too small to pay every problem a pilot token buys no answers, and spends nothing.
        using var embedded = new EmbeddedLanes(1);
        var none = await AllocatorCell.RunAsync(embedded.Lanes[0], spec, 1, problems, totalTokens: 5, new ScalingOptions(), CancellationToken.None);
        Assert.All(none!, r => Assert.Equal((null, false, 0L, SearchOutcome.BudgetExhausted), (r.Answer, r.Correct, r.GeneratedTokens, r.Outcome)));
    }

    [Fact]
    public async Task A_tiny_study_with_the_allocator_writes_its_records_renders_and_re_renders_from_its_files()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tts-allocator-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new ScalingOptions
            {
                Problems = 3,
                Strategies = ["single", "majority", "weighted-best-of-n", "allocator", "allocator-weighted"],
                Budgets = [1, 2],
                Seed = 4,
                TraceProblems = 0,
                OutputDirectory = dir,
            };
            Assert.Equal(0, await StudyRun.RunAsync(options, [], CancellationToken.None));

            string json = Path.Combine(dir, "results.json");
            var report = ResultFiles.Read(json);
            foreach (var name in new[] { "allocator", "allocator-weighted" })
                foreach (int n in options.Budgets)
                {
                    var cell = report.Cells.Single(c => c.Strategy == name && c.Budget == n);
                    Assert.Equal(3, cell.Problems.Count);
                    var majority = report.Cells.Single(c => c.Strategy == "majority" && c.Budget == n);
                    Assert.True(cell.Problems.Sum(r => r.GeneratedTokens) <= majority.Problems.Sum(r => r.GeneratedTokens));
                }
            Assert.Contains(report.Highlights, h => h.StartsWith("allocator at equal tokens vs best fixed strategy: allocator@2 (", StringComparison.Ordinal) && h.Contains("95% CI", StringComparison.Ordinal));
            Assert.Contains(report.Highlights, h => h.StartsWith("allocator-weighted@2: ", StringComparison.Ordinal) && h.Contains("weighted-best-of-n@2", StringComparison.Ordinal));
            Assert.Contains("allocator-weighted,2,3,", File.ReadAllText(Path.Combine(dir, "results.csv")));
            string html = File.ReadAllText(Path.Combine(dir, RunPresentation.ReportFile));
            Assert.Contains("<td>allocator</td><td>2</td>", html);

            // --from: the files alone give the same table and plots back.
            var rendered = new[] { "results.csv", RunPresentation.ScalingPng, RunPresentation.CoveragePng, RunPresentation.ReportFile };
            string csv = File.ReadAllText(Path.Combine(dir, "results.csv"));
            foreach (var name in rendered) File.Delete(Path.Combine(dir, name));
            Assert.Equal(0, RunPresentation.Render(json));
            foreach (var name in rendered) Assert.True(new FileInfo(Path.Combine(dir, name)).Length > 0, $"{name} was not re-rendered");
            Assert.Equal(csv, File.ReadAllText(Path.Combine(dir, "results.csv")));
            Assert.Contains("<td>allocator-weighted</td><td>1</td>", File.ReadAllText(Path.Combine(dir, RunPresentation.ReportFile)));
            Assert.Equal(9, report.Cells.Count);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_highlight_compares_the_allocator_with_the_most_accurate_fixed_cell_that_spent_no_more_tokens()
    {
        // Four problems; the allocator gets three right at majority@4's 100 tokens a problem.
        CellResult Cell(string strategy, int budget, long tokens, params bool[] correct) => CellResult.Summarize(strategy, budget,
            [.. correct.Select((c, i) => new ProblemRecord($"p{i}", 1, "1", c ? "1" : "2", c, SearchOutcome.Completed, budget, tokens, 0, 0, 0, 0))], 1, seed: 1);
        var cells = new[]
        {
            Cell("majority", 4, 100, true, false, false, false),
            Cell("best-of-n", 4, 100, true, true, false, false),
            // More accurate, but with more tokens than the allocator had, or with the perfect verifier: not comparable.
            Cell("beam-search", 8, 101, true, true, true, true),
            Cell("best-of-n-perfect", 4, 100, true, true, true, true),
            Cell("allocator", 4, 99, true, true, true, false),
        };
        var lines = Highlights.Compute(cells, seed: 1);
        var line = Assert.Single(lines, l => l.StartsWith("allocator at equal tokens vs best fixed strategy: ", StringComparison.Ordinal));
        Assert.Contains("allocator@4 (99 tokens of majority@4's 100): 75.0% vs best-of-n@4 (100 tokens): 50.0%; difference +25.0 points", line);
        Assert.Contains(lines, l => l.StartsWith("allocator@4: 75.0% vs majority@4: 25.0%", StringComparison.Ordinal));
    }
}
