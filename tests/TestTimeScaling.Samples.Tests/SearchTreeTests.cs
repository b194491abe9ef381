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
}
