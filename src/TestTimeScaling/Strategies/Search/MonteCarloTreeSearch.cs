namespace TestTimeScaling;

/// <summary>
/// Monte Carlo tree search over reasoning steps: select by UCT on process-reward values, expand a leaf by sampling
/// several next steps, evaluate them with the verifier (optionally rolling one out to the end), back the value up.
/// </summary>
/// <remarks>
/// <para>UCT: Kocsis and Szepesvári, "Bandit based Monte-Carlo Planning" (2006). Step-level MCTS for language models
/// with a value or process reward model: Feng et al., "AlphaZero-like Tree-Search can Guide Large Language Model
/// Decoding and Training" (2023); Zhang et al., "ReST-MCTS*" (2024); Guan et al., "rStar-Math" (2025).</para>
/// <para>Each simulation descends from the root, at every node taking the child with the largest
/// Q + c · sqrt(ln(N_parent + 1) / N_child), where Q is the mean backed-up value, N the visit count and c
/// <see cref="Exploration"/> (ties go to the earlier child). At an unexpanded node it samples <see cref="Expansions"/>
/// (k) next steps in one call (pausing at the step delimiter, the context's or a line break), keeps the distinct
/// ones, and scores them in one verifier call; each child starts with N = 1 and Q = its score (process scores
/// combined by <see cref="Aggregation"/>). With <see cref="Rollout"/> the best new unfinished child is also played
/// out to the end and the rollout's score is the value backed up (the rollout becomes a completed candidate);
/// otherwise the best new child's score is. Backup adds one visit and the value to every node on the path.
/// A child is terminal when its step ended the sample, holds a final answer, or reaches <see cref="MaxDepth"/>;
/// a subtree whose nodes are all terminal is exhausted and no longer selected (revisiting it would cost nothing and
/// teach nothing). The search runs <see cref="Simulations"/> simulations, or until the tree is exhausted or the budget
/// spent. The answer is the completed solution with the highest score. A revisited node's text is passed again as a
/// prefix, which the engine's prefix cache serves without recomputation.</para>
/// <para>Budget: <see cref="Budget.MaxSamples"/> counts completed solutions (terminal children and rollouts), and an
/// expansion never asks for more rows than completions are left. The token budget is exact: rows draw on what is
/// left and are cut where it runs out; the search then stops with <see cref="SearchOutcome.BudgetExhausted"/>.</para>
/// </remarks>
public sealed class MonteCarloTreeSearch : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="simulations">Simulations (selection, expansion, evaluation, backup); positive.</param>
    /// <param name="expansions">k, next steps sampled when a node is expanded; positive.</param>
    /// <param name="exploration">c, the UCT exploration constant; non-negative.</param>
    /// <param name="maxDepth">Most steps on a path; positive.</param>
    /// <param name="rollout">Whether to play the best new child out to the end and back up the rollout's score.</param>
    /// <param name="aggregation">How a process verifier's step scores become a node's value.</param>
    public MonteCarloTreeSearch(int simulations = 32, int expansions = 4, double exploration = 1.0, int maxDepth = 40, bool rollout = false,
        StepAggregation aggregation = StepAggregation.Last)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(simulations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expansions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        if (double.IsNaN(exploration) || exploration < 0 || double.IsInfinity(exploration))
            throw new ArgumentOutOfRangeException(nameof(exploration), exploration, "The exploration constant c must be a non-negative finite number.");
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        Simulations = simulations;
        Expansions = expansions;
        Exploration = exploration;
        MaxDepth = maxDepth;
        Rollout = rollout;
        Aggregation = aggregation;
    }

    /// <summary>Simulations.</summary>
    public int Simulations { get; }

    /// <summary>k, children per expansion.</summary>
    public int Expansions { get; }

    /// <summary>c, the exploration constant.</summary>
    public double Exploration { get; }

    /// <summary>Most steps on a path.</summary>
    public int MaxDepth { get; }

    /// <summary>Whether each expansion is followed by a rollout to the end.</summary>
    public bool Rollout { get; }

    /// <summary>Step-score aggregation.</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public string Name => "mcts";

    /// <summary>The UCT value of a child: its mean value plus c · sqrt(ln(parentVisits + 1) / visits).</summary>
    /// <param name="valueSum">Sum of the values backed up through the child.</param>
    /// <param name="visits">The child's visits; positive.</param>
    /// <param name="parentVisits">The parent's visits.</param>
    /// <param name="exploration">c.</param>
    public static double Uct(double valueSum, int visits, int parentVisits, double exploration) =>
        valueSum / visits + exploration * Math.Sqrt(Math.Log(parentVisits + 1.0) / visits);

    // Open nodes the search never came back to: UCT preferred other paths until the simulations ran out.
    private static void TraceUnexpanded(SearchRun run, Node root)
    {
        var stack = new Stack<Node>([root]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var child in node.Children) stack.Push(child);
            if (node.Parent is null || node.Expanded || node.Exhausted) continue;
            run.Trace.AddPruned(FormattableString.Invariant(
                    $"Never expanded: UCT preferred other nodes (depth {node.Solution.Depth}, visits {node.Visits}, mean value {node.ValueSum / Math.Max(1, node.Visits):0.000})."),
                node.Solution.Text,
                double.IsFinite(node.Solution.Value)
                    ? new Dictionary<string, double> { ["depth"] = node.Solution.Depth, ["tokens"] = node.Solution.Tokens, ["score"] = node.Solution.Value, ["visits"] = node.Visits }
                    : new Dictionary<string, double> { ["depth"] = node.Solution.Depth, ["tokens"] = node.Solution.Tokens, ["visits"] = node.Visits });
        }
    }

    private sealed class Node(PartialSolution solution, Node? parent)
    {
        public PartialSolution Solution { get; } = solution;
        public Node? Parent { get; } = parent;
        public List<Node> Children { get; } = [];
        public int Visits { get; set; }
        public double ValueSum { get; set; }
        public bool Expanded { get; set; }
        public bool Exhausted { get; set; }
    }

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("a process reward model to value the nodes"), Aggregation);
            run.RequireStepDelimiter();
            int maxNew = run.Sampling.MaxNewTokens;
            var root = new Node(PartialSolution.Root, null);
            var completed = new List<PartialSolution>();
            bool cut = false;
            int simulation = 0;
            for (; simulation < Simulations && !root.Exhausted; simulation++)
            {
                if (run.SamplesLeft == 0 || run.TokensLeft == 0) { cut = true; break; }
                var leaf = Select(root);
                int k = Math.Min(Expansions, run.SamplesLeft);
                var children = await StepExpansion.ExpandAsync(run, verifier, [leaf.Solution], k, maxNew).ConfigureAwait(false);
                if (children.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
                leaf.Expanded = true;
                foreach (var (_, child) in children.DistinctBy(c => c.Child.Text, StringComparer.Ordinal))
                {
                    bool terminal = child.Finished || child.Depth >= MaxDepth;
                    var node = new Node(child with { Finished = terminal }, leaf) { Visits = 1, ValueSum = child.Value, Exhausted = terminal };
                    leaf.Children.Add(node);
                    if (terminal) completed.Add(node.Solution);
                }
                run.ChargeSamples(leaf.Children.Count(c => c.Exhausted));
                var best = leaf.Children.OrderByDescending(c => c.Solution.Value).First();
                double value = best.Solution.Value;
                if (Rollout && run.SamplesLeft > 0 && run.TokensLeft > 0
                    && leaf.Children.Where(c => !c.Exhausted).OrderByDescending(c => c.Solution.Value).FirstOrDefault() is { } start)
                {
                    var played = await RollOutAsync(run, verifier, start.Solution, maxNew).ConfigureAwait(false);
                    if (played is not null) { completed.Add(played); value = played.Value; }
                }
                Backup(leaf, double.IsFinite(value) ? value : 0);
                run.Trace.Add("simulation", $"Simulation {simulation + 1}: expanded depth {leaf.Solution.Depth} into {leaf.Children.Count} child(ren); value {value:F3}.",
                    StepExpansion.RoundFigures(leaf.Solution.Depth + 1, children.Count, leaf.Children.Select(c => c.Solution)));
            }
            if (root.Exhausted) run.Trace.Add("exhausted", $"Every path ended after {simulation} simulation(s).");
            TraceUnexpanded(run, root);
            foreach (var p in completed) StepExpansion.AddCandidate(run, p);
            // With nothing completed, the most promising open path is reported (it usually has no answer).
            if (completed.Count == 0 && BestOpen(root) is { } open) StepExpansion.AddCandidate(run, open);
            var chosen = Selection.Best(run.Candidates, Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });

    // Descends by UCT over children that are not exhausted, to a node that has not been expanded.
    private Node Select(Node node)
    {
        while (node.Expanded)
        {
            Node? next = null;
            double bestUct = double.NegativeInfinity;
            foreach (var child in node.Children)
            {
                if (child.Exhausted) continue;
                double u = Uct(child.ValueSum, child.Visits, node.Visits, Exploration);
                if (next is null || u > bestUct) { next = child; bestUct = u; }
            }
            // Not reached while the root is live: exhaustion is propagated up after every backup.
            if (next is null) return node;
            node = next;
        }
        return node;
    }

    // One visit and the value to every node from the leaf up; exhaustion propagates up as it goes.
    private static void Backup(Node leaf, double value)
    {
        for (var node = leaf; node is not null; node = node.Parent)
        {
            node.Visits++;
            node.ValueSum += value;
            if (node.Expanded && node.Children.All(c => c.Exhausted)) node.Exhausted = true;
        }
    }

    private static async Task<PartialSolution?> RollOutAsync(SearchRun run, IVerifier verifier, PartialSolution start, int maxNew)
    {
        var options = run.Sampling with { StepDelimiter = null, MaxNewTokens = maxNew };
        var completions = await run.SampleAsync(run.Problem.Prompt, [start.Text], 1, options).ConfigureAwait(false);
        if (completions.Count == 0) return null;
        run.ChargeSamples(1);
        var c = completions[0];
        var text = start.Text + c.Text;
        var scores = await run.ScoreAsync(verifier, [text]).ConfigureAwait(false);
        return new PartialSolution(text, start.Tokens + c.GeneratedTokens, start.Depth + 1, true, c.FinishReason, scores[0]);
    }

    private static PartialSolution? BestOpen(Node root)
    {
        PartialSolution? best = null;
        var stack = new Stack<Node>(root.Children);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (best is null || n.Solution.Value > best.Value) best = n.Solution;
            foreach (var c in n.Children) stack.Push(c);
        }
        return best;
    }
}
