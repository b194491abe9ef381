using System.Globalization;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// The comparisons the literature makes, read off a run: voting and PRM-weighted selection against one sample, beam
/// search against best-of-N at equal generated tokens, the compute-optimal allocator against the best fixed strategy
/// at equal tokens, First Finish Search against majority vote at equal n. Each
/// difference comes with a paired 95% bootstrap interval over the problems both cells solved.
/// </summary>
public static class Highlights
{
    /// <summary>The budget the headline comparisons use (Snell et al. and "Can 1B LLM Surpass 405B LLM?" report N = 16 among others).</summary>
    public const int HeadlineBudget = 16;

    /// <summary>One sentence per comparison the run has the cells for.</summary>
    public static IReadOnlyList<string> Compute(IReadOnlyList<CellResult> cells, int seed)
    {
        var lines = new List<string>();
        var single = Find(cells, "single", 1);
        int n = HeadlineBudget;
        if (single is not null)
        {
            foreach (var name in new[] { "majority", "weighted-best-of-n", "best-of-n" })
                if (Find(cells, name, n) is { } cell)
                    lines.Add(Compare($"{name}@{n}", cell, "single sample", single, seed));
        }

        // Beam search at best-of-N's generated tokens: directly (a token budget equal to best-of-N's tokens on each
        // problem), and the sample-budgeted beam cell closest in tokens (log scale), with both token counts reported.
        if (Find(cells, "best-of-n", n) is { } bestOfN)
        {
            if (Find(cells, "beam-search-tokens", n) is { } matched)
                lines.Add(Compare(FormattableString.Invariant($"beam-search-tokens@{n} ({matched.MeanGeneratedTokens:F0} tokens)"), matched,
                    FormattableString.Invariant($"best-of-n@{n} ({bestOfN.MeanGeneratedTokens:F0} tokens)"), bestOfN, seed));
            var beam = cells.Where(c => c.Strategy == "beam-search" && c.MeanGeneratedTokens > 0)
                .MinBy(c => Math.Abs(Math.Log(c.MeanGeneratedTokens / bestOfN.MeanGeneratedTokens)));
            if (beam is not null)
                lines.Add(Compare(FormattableString.Invariant($"beam-search@{beam.Budget} ({beam.MeanGeneratedTokens:F0} tokens)"), beam,
                    FormattableString.Invariant($"best-of-n@{n} ({bestOfN.MeanGeneratedTokens:F0} tokens)"), bestOfN, seed));
        }

        // What the learned PRM costs: each verifier-based strategy against its twin under the perfect step verifier.
        foreach (var perfect in cells.Where(c => c.Strategy.EndsWith(StrategyCatalog.PerfectSuffix, StringComparison.Ordinal) && c.Budget == n))
        {
            string learnedName = perfect.Strategy[..^StrategyCatalog.PerfectSuffix.Length];
            if (Find(cells, learnedName, n) is { } learned)
                lines.Add(Compare($"{perfect.Strategy}@{n}", perfect, $"{learnedName}@{n} (learned PRM)", learned, seed));
        }

        lines.AddRange(AllocatorLines(cells, seed));

        // First Finish Search against majority vote at the same n: accuracy and tokens.
        foreach (var ffs in cells.Where(c => c.Strategy == "first-finish" && c.Budget > 1))
            if (Find(cells, "majority", ffs.Budget) is { } majority)
                lines.Add(Compare($"first-finish@{ffs.Budget}", ffs, $"majority@{ffs.Budget}", majority, seed)
                    + string.Create(CultureInfo.InvariantCulture,
                        $"; tokens {ffs.MeanGeneratedTokens:F0} vs {majority.MeanGeneratedTokens:F0} ({100 * ffs.MeanGeneratedTokens / majority.MeanGeneratedTokens:F0}%)"));
        return lines;
    }

    /// <summary>
    /// The compute-optimal allocator at equal tokens (Snell et al.): each allocator cell against the best fixed strategy
    /// that spent no more tokens than the allocator's budget (the matched majority@N cell's tokens; any strategy at any N,
    /// perfect-verifier references and other allocator rows left out; ties go to the cheaper cell), and, at the headline
    /// budget (or the largest run), against majority@N and weighted best-of-N@N directly.
    /// </summary>
    private static IEnumerable<string> AllocatorLines(IReadOnlyList<CellResult> cells, int seed)
    {
        static StrategySpec? Spec(CellResult c) => StrategyCatalog.Find(c.Strategy);
        var allocated = cells.Where(c => Spec(c) is { AllocatesAcrossProblems: true }).ToList();
        if (allocated.Count == 0) yield break;
        var fixedCells = cells.Where(c => Spec(c) is not { AllocatesAcrossProblems: true }
            && !c.Strategy.EndsWith(StrategyCatalog.PerfectSuffix, StringComparison.Ordinal)).ToList();
        foreach (var a in allocated)
        {
            if (Find(cells, Spec(a)!.MatchTokensOf!, a.Budget) is not { } matched) continue;
            string name = FormattableString.Invariant($"{a.Strategy}@{a.Budget} ({a.MeanGeneratedTokens:F0} tokens of {matched.Strategy}@{a.Budget}'s {matched.MeanGeneratedTokens:F0})");
            var best = fixedCells.Where(c => c.MeanGeneratedTokens <= matched.MeanGeneratedTokens)
                .OrderByDescending(c => c.Accuracy.Mean).ThenBy(c => c.MeanGeneratedTokens).FirstOrDefault();
            if (best is not null)
                yield return "allocator at equal tokens vs best fixed strategy: " + Compare(name, a,
                    FormattableString.Invariant($"{best.Strategy}@{best.Budget} ({best.MeanGeneratedTokens:F0} tokens)"), best, seed);
        }
        int headline = allocated.Any(c => c.Budget == HeadlineBudget) ? HeadlineBudget : allocated.Max(c => c.Budget);
        foreach (var a in allocated.Where(c => c.Budget == headline))
            foreach (var reference in new[] { "majority", "weighted-best-of-n" })
                if (Find(cells, reference, headline) is { } r)
                    yield return Compare($"{a.Strategy}@{headline}", a, $"{reference}@{headline}", r, seed);
    }

    /// <summary>"a: x% vs b: y%, difference d points [lo, hi]" over the problems both cells hold.</summary>
    private static string Compare(string aName, CellResult a, string bName, CellResult b, int seed)
    {
        var bById = b.Problems.ToDictionary(p => p.ProblemId);
        // Paired: the same problems, each with the same seed in both cells, so the difference's noise is smaller.
        var diffs = a.Problems.Where(p => bById.ContainsKey(p.ProblemId))
            .Select(p => (p.Correct ? 1.0 : 0.0) - (bById[p.ProblemId].Correct ? 1.0 : 0.0)).ToList();
        if (diffs.Count == 0) return $"{aName} vs {bName}: no problems in common.";
        var d = BootstrapInterval.Compute(diffs, confidence: 0.95, resamples: 2000, seed: seed);
        return string.Create(CultureInfo.InvariantCulture,
            $"{aName}: {100 * a.Accuracy.Mean:F1}% vs {bName}: {100 * b.Accuracy.Mean:F1}%; difference {100 * d.Mean:+0.0;-0.0;0.0} points, 95% CI [{100 * d.Lower:+0.0;-0.0;0.0}, {100 * d.Upper:+0.0;-0.0;0.0}] over {diffs.Count} problems");
    }

    private static CellResult? Find(IReadOnlyList<CellResult> cells, string strategy, int budget) =>
        cells.FirstOrDefault(c => c.Strategy == strategy && c.Budget == budget);
}
