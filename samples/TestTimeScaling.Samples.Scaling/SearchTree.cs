using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// The tree a recorded search's candidates span: candidates that share their first steps share those nodes, so beam
/// search and DVTS show where they branched, and particle filtering shows which particles descend from one resampled
/// ancestor. Each node holds its step's text and verifier score, how many candidates pass through it, and whether the
/// chosen answer's path runs through it. The branches the search dropped before the end (its trace's pruned events:
/// beams ranked below the kept ones, DVTS siblings, particles resampled away, MCTS nodes never expanded) join the tree
/// too, marked <see cref="Pruned"/> with the reason.
/// </summary>
public sealed class SearchTree
{
    private SearchTree(string text, double? score, int depth)
    {
        Text = text;
        Score = score;
        Depth = depth;
    }

    /// <summary>The step's text (empty at the root).</summary>
    public string Text { get; }

    /// <summary>The verifier's score of this step given the steps before it, when recorded.</summary>
    public double? Score { get; }

    /// <summary>Steps from the root (0 at the root).</summary>
    public int Depth { get; }

    /// <summary>Whether only dropped branches reach this node: no returned candidate passes through it.</summary>
    public bool Pruned => Paths == 0 && Depth > 0;

    /// <summary>Why the search dropped the partial solution ending at this node, when it did (from its trace).</summary>
    public string? PruneReason { get; private set; }

    /// <summary>Candidates whose solution passes through this node.</summary>
    public int Paths { get; private set; }

    /// <summary>Whether the chosen candidate's path runs through this node.</summary>
    public bool OnChosenPath { get; private set; }

    /// <summary>The candidates that end at this node (their last step is this one).</summary>
    public List<RecordedCandidate> Ends { get; } = [];

    /// <summary>The next steps, in the order first seen.</summary>
    public List<SearchTree> Children { get; } = [];

    /// <summary>Every node below the root and the root, counted.</summary>
    public int Count => 1 + Children.Sum(c => c.Count);

    /// <summary>A candidate's steps: its text cut at the step delimiter, empty pieces dropped.</summary>
    public static IReadOnlyList<string> Steps(string text) =>
        text.Split(ArithmeticFormat.StepDelimiter, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Builds the tree of <paramref name="search"/>'s candidates.</summary>
    public static SearchTree Build(RecordedSearch search)
    {
        ArgumentNullException.ThrowIfNull(search);
        var root = new SearchTree("", null, 0);
        var chosen = search.ChosenText is null ? null : Steps(search.ChosenText);
        root.OnChosenPath = chosen is not null;
        foreach (var candidate in search.Candidates)
        {
            var steps = Steps(candidate.Text);
            bool isChosen = chosen is not null && candidate.Text == search.ChosenText;
            var node = root;
            root.Paths++;
            for (int i = 0; i < steps.Count; i++)
            {
                var next = node.Children.FirstOrDefault(c => c.Text == steps[i]);
                if (next is null)
                {
                    // Scores line up with steps only when the verifier scored every one of them.
                    double? score = candidate.StepScores is { } s && s.Count == steps.Count ? s[i] : null;
                    next = new SearchTree(steps[i], score, i + 1);
                    node.Children.Add(next);
                }
                next.Paths++;
                if (isChosen) next.OnChosenPath = true;
                node = next;
            }
            node.Ends.Add(candidate);
        }
        foreach (var e in search.Events.Where(e => e.IsPruned)) AddPruned(root, e);
        return root;
    }

    // A dropped partial solution: its steps join the tree without adding paths, and its last node carries the reason.
    private static void AddPruned(SearchTree root, TraceEvent e)
    {
        var steps = Steps(e.Text!);
        if (steps.Count == 0) return;
        var node = root;
        for (int i = 0; i < steps.Count; i++)
        {
            var next = node.Children.FirstOrDefault(c => c.Text == steps[i]);
            if (next is null)
            {
                // The trace gives the score of the dropped step itself, not of the steps before it.
                double? score = i == steps.Count - 1 && e.Values is { } v && v.TryGetValue("score", out var s) ? s : null;
                next = new SearchTree(steps[i], score, i + 1);
                node.Children.Add(next);
            }
            node = next;
        }
        // A text a returned candidate also passes through was not lost; only a branch nothing returned reaches is.
        if (node.Pruned) node.PruneReason ??= e.Message;
    }
}
