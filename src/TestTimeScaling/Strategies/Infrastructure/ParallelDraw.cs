namespace TestTimeScaling;

/// <summary>Draws independent full solutions for the parallel strategies, within the budget.</summary>
internal static class ParallelDraw
{
    /// <summary>
    /// Draws up to <paramref name="n"/> fresh solutions (one sample each) and records them as candidates, spending
    /// the token budget exactly. Rows go out in waves: each wave holds as many rows as the tokens left could pay
    /// at their full MaxNewTokens (so a row is never cut while another waits), and once not even one full row
    /// fits, single rows take what is left and the last is cut at the budget's last token. Without a token
    /// budget all rows go in one call. Returns fewer than n when the budget runs out first. The step delimiter
    /// is cleared: these strategies want whole solutions. <paramref name="prompt"/> replaces the problem's
    /// prompt (refinement asks with a revision prompt).
    /// </summary>
    public static async Task<IReadOnlyList<Candidate>> DrawAsync(SearchRun run, int n, string? prompt = null)
    {
        var options = run.Sampling with { StepDelimiter = null };
        var drawn = new List<Candidate>();
        int asked = 0;
        while (asked < n && run.SamplesLeft > 0 && run.TokensLeft > 0)
        {
            int rows = Math.Max(1, Math.Min(Math.Min(n - asked, run.SamplesLeft), run.RowsAffordable(options.MaxNewTokens)));
            var completions = await run.SampleAsync(prompt ?? run.Problem.Prompt, [""], rows, options).ConfigureAwait(false);
            run.ChargeSamples(rows);
            asked += rows;
            drawn.AddRange(completions.Select(c => run.AddCandidate(c.Text, c.GeneratedTokens, c.FinishReason)));
            // A sampler that returns fewer rows than asked makes no reliable progress: stop with what there is.
            if (completions.Count < rows) break;
        }
        return drawn;
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
