namespace TestTimeScaling;

/// <summary>Draws independent full solutions for the parallel strategies, within the budget.</summary>
internal static class ParallelDraw
{
    /// <summary>
    /// Draws up to <paramref name="n"/> fresh solutions (one sample each) and records them as candidates.
    /// Returns fewer when the budget cannot pay for n: rows are cut first, so every sample keeps the full
    /// MaxNewTokens; only when not even one full-length sample fits is a single shorter one drawn.
    /// The step delimiter is cleared: these strategies want whole solutions. <paramref name="prompt"/> replaces
    /// the problem's prompt (refinement asks with a revision prompt).
    /// </summary>
    public static async Task<IReadOnlyList<Candidate>> DrawAsync(SearchRun run, int n, int? stopAfterFinished = null, string? prompt = null)
    {
        var options = run.Sampling with { StepDelimiter = null };
        int rows = Math.Min(n, Math.Min(run.SamplesLeft, run.RowsAffordable(options.MaxNewTokens)));
        if (rows == 0 && n > 0 && run.SamplesLeft > 0 && run.TokensLeft > 0)
        {
            rows = 1;
            options = options with { MaxNewTokens = (int)Math.Min(options.MaxNewTokens, run.TokensLeft) };
        }
        if (rows <= 0) return [];
        var completions = await run.SampleAsync(prompt ?? run.Problem.Prompt, [""], rows, options, stopAfterFinished).ConfigureAwait(false);
        run.ChargeSamples(rows);
        return completions.Select(c => run.AddCandidate(c.Text, c.GeneratedTokens, c.FinishReason)).ToList();
    }

    /// <summary>Scores candidates with the verifier and stores each score on its candidate; returns the scored list.</summary>
    public static async Task<IReadOnlyList<Candidate>> ScoreAsync(SearchRun run, IVerifier verifier, IReadOnlyList<Candidate> candidates)
    {
        var scores = await run.ScoreAsync(verifier, candidates.Select(c => c.Text).ToList()).ConfigureAwait(false);
        var scored = new List<Candidate>(candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
        {
            var updated = candidates[i] with { Score = scores[i] };
            run.Replace(candidates[i], updated);
            scored.Add(updated);
        }
        return scored;
    }
}
