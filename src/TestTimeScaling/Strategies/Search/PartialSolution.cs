namespace TestTimeScaling;

/// <summary>A solution being built step by step in a search.</summary>
/// <param name="Text">The solution so far (after the prompt).</param>
/// <param name="Tokens">Tokens generated along this path.</param>
/// <param name="Depth">Steps taken.</param>
/// <param name="Finished">Whether it is complete: the model stopped, ran out of room, or wrote a final answer.</param>
/// <param name="FinishReason">Why its last step ended.</param>
/// <param name="Score">The verifier's judgement of the latest version, once scored.</param>
internal sealed record PartialSolution(string Text, int Tokens, int Depth, bool Finished, FinishReason FinishReason, VerifierScore? Score = null)
{
    public static PartialSolution Root { get; } = new("", 0, 0, false, FinishReason.StepBoundary);

    /// <summary>The ranking value: the (aggregated) verifier score.</summary>
    public double Value => Score?.Value ?? double.NegativeInfinity;
}

/// <summary>One step of expansion shared by the step-level searches.</summary>
internal static class StepExpansion
{
    /// <summary>The delimiter to search with: the context's, or a line break.</summary>
    public static string Delimiter(SearchRun run) => run.Sampling.StepDelimiter ?? "\n";

    /// <summary>
    /// Continues each parent by one step, <paramref name="n"/> times, and scores the children in one verifier call.
    /// Children come back grouped by parent (parent-major). A step that generated nothing and did not stop is
    /// marked finished, so a stuck sampler cannot keep a search alive.
    /// </summary>
    public static async Task<IReadOnlyList<(int Parent, PartialSolution Child)>> ExpandAsync(
        SearchRun run, IVerifier verifier, IReadOnlyList<PartialSolution> parents, int n, int maxNewTokens)
    {
        var options = run.Sampling with { StepDelimiter = Delimiter(run), MaxNewTokens = maxNewTokens };
        var completions = await run.SampleAsync(run.Problem.Prompt, parents.Select(p => p.Text).ToList(), n, options).ConfigureAwait(false);
        var children = new List<(int, PartialSolution)>(completions.Count);
        foreach (var c in completions)
        {
            var parent = parents[c.PrefixIndex];
            var text = parent.Text + c.Text;
            bool finished = c.FinishReason != FinishReason.StepBoundary || c.GeneratedTokens == 0 || run.Extract(text) is not null;
            children.Add((c.PrefixIndex, new PartialSolution(text, parent.Tokens + c.GeneratedTokens, parent.Depth + 1, finished, c.FinishReason)));
        }
        var scores = await run.ScoreAsync(verifier, children.Select(c => c.Item2.Text).ToList()).ConfigureAwait(false);
        for (int i = 0; i < children.Count; i++) children[i] = (children[i].Item1, children[i].Item2 with { Score = scores[i] });
        return children;
    }

    /// <summary>Records a partial solution as a candidate.</summary>
    public static Candidate AddCandidate(SearchRun run, PartialSolution p) => run.AddCandidate(p.Text, p.Tokens, p.FinishReason, p.Score);

    /// <summary>Records a partial solution the search dropped, with why, in the trace.</summary>
    public static void TracePruned(SearchRun run, PartialSolution p, string reason)
    {
        var figures = new Dictionary<string, double> { ["depth"] = p.Depth, ["tokens"] = p.Tokens };
        // JSON has no infinities: an unscored partial solution leaves its score out.
        if (double.IsFinite(p.Value)) figures["score"] = p.Value;
        run.Trace.AddPruned(reason, p.Text, figures);
    }

    /// <summary>Figures for a trace event about a round.</summary>
    public static Dictionary<string, double> RoundFigures(int depth, int rows, IEnumerable<PartialSolution> kept)
    {
        var list = kept.ToList();
        var figures = new Dictionary<string, double> { ["depth"] = depth, ["rows"] = rows, ["kept"] = list.Count };
        // JSON has no infinities: unscored or empty sets leave the best score out.
        if (list.Count > 0 && double.IsFinite(list.Max(p => p.Value))) figures["bestScore"] = list.Max(p => p.Value);
        return figures;
    }
}
