using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

public sealed class SearchTreeTests
{
    private static RecordedCandidate Candidate(string text, string answer, params double[] steps) =>
        new(text, answer, steps[^1], steps, 10, "Stop");

    [Fact]
    public void CandidatesShareTheirCommonStepsAndTheChosenPathIsMarked()
    {
        var search = new RecordedSearch("beam-search", 4, "p", 2, "Q: 1+1*3\n", "6", "6", true, SearchOutcome.Completed,
            "1+1=2\n2*3=6\nA: 6\n",
            [
                Candidate("1+1=2\n2*3=6\nA: 6\n", "6", 0.9, 0.8, 0.95),
                Candidate("1+1=2\n2*3=5\nA: 5\n", "5", 0.9, 0.2, 0.3),
                Candidate("1+1=3\n3*3=9\nA: 9\n", "9", 0.1, 0.5, 0.4),
            ],
            []);
        var tree = SearchTree.Build(search);
        Assert.Equal(2, tree.Children.Count);
        var shared = tree.Children[0];
        Assert.Equal("1+1=2", shared.Text);
        Assert.Equal(2, shared.Paths);
        Assert.Equal(0.9, shared.Score);
        Assert.True(shared.OnChosenPath);
        Assert.False(tree.Children[1].OnChosenPath);
        Assert.Equal(["2*3=6", "2*3=5"], shared.Children.Select(c => c.Text));
        Assert.True(shared.Children[0].OnChosenPath);
        Assert.False(shared.Children[1].OnChosenPath);
        Assert.Equal("6", Assert.Single(shared.Children[0].Children[0].Ends).Answer);
        Assert.Equal(9, tree.Count); // root; 1+1=2 with two 2-step branches (5); 1+1=3 with its 2 steps (3)
    }

    [Fact]
    public void StepScoresThatDoNotLineUpAreLeftOut()
    {
        var search = new RecordedSearch("dvts", 4, "p", 1, "Q\n", "1", null, false, SearchOutcome.Completed, null,
            [new RecordedCandidate("a\nb\n", null, 0.5, [0.5], 3, "Length")], []);
        var tree = SearchTree.Build(search);
        Assert.Null(tree.Children[0].Score);
        Assert.False(tree.Children[0].OnChosenPath);
    }

    private static TraceEvent Pruned(int index, string text, double score, string why) =>
        new(index, SearchTrace.PrunedKind, why, new Dictionary<string, double> { ["score"] = score, ["depth"] = 2 }) { Text = text };

    [Fact]
    public void DroppedBranchesJoinTheTreeGreyedWithTheirReason()
    {
        var search = new RecordedSearch("beam-search", 4, "p", 2, "Q: 1+1*3\n", "6", "6", true, SearchOutcome.Completed,
            "1+1=2\n2*3=6\nA: 6\n",
            [Candidate("1+1=2\n2*3=6\nA: 6\n", "6", 0.9, 0.8, 0.95)],
            [
                new TraceEvent(0, "round", "Depth 1", null),
                Pruned(1, "1+1=2\n2*3=7\n", 0.1, "Depth 2: score 0.100 ranked below the 1 beam(s) kept (lowest kept 0.800)."),
                Pruned(2, "1+1=3\n3*3=9\n", 0.05, "Depth 2: dropped."),
                // A partial solution that a returned candidate also passes through was not lost.
                Pruned(3, "1+1=2\n", 0.9, "Depth 1: duplicate."),
            ]);
        var tree = SearchTree.Build(search);
        var kept = tree.Children[0];
        Assert.False(kept.Pruned);
        Assert.Null(kept.PruneReason);
        var dropped = kept.Children.Single(c => c.Text == "2*3=7");
        Assert.True(dropped.Pruned);
        Assert.Equal(0, dropped.Paths);
        Assert.Equal(0.1, dropped.Score);
        Assert.StartsWith("Depth 2: score 0.100", dropped.PruneReason);
        Assert.False(kept.Children.Single(c => c.Text == "2*3=6").Pruned);
        // A branch dropped below a step no candidate returned through: the step is greyed too, without a reason of its own.
        var lost = tree.Children.Single(c => c.Text == "1+1=3");
        Assert.True(lost.Pruned);
        Assert.Null(lost.PruneReason);
        Assert.Null(lost.Score);
        Assert.Equal("Depth 2: dropped.", Assert.Single(lost.Children).PruneReason);

        string html = ReportHtml.Build(ResultFiles.Read(Fixture.ResultsJson), [search], []);
        Assert.Contains("class=\"node pruned\"", html);
        Assert.Contains("dropped: Depth 2: score 0.100 ranked below the 1 beam(s) kept", html);
        Assert.DoesNotContain("dropped: Depth 1: duplicate.", html);
    }

    [Fact]
    public void DroppedBranchesSurviveTheTracesFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tts-trace-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var search = new RecordedSearch("beam-search", 4, "p", 1, "Q\n", "1", null, false, SearchOutcome.Completed, null, [],
                [Pruned(0, "a\nb\n", 0.25, "why")]);
            var back = ResultFiles.ReadTraces(ResultFiles.WriteTraces([search], dir));
            var e = Assert.Single(Assert.Single(back).Events);
            Assert.Equal("a\nb\n", e.Text);
            Assert.True(e.IsPruned);
            Assert.Equal(0.25, e.Values!["score"]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
