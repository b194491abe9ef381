namespace TestTimeScaling;

/// <summary>Deterministic picks over candidates.</summary>
internal static class Selection
{
    /// <summary>
    /// The candidate with an answer and the highest value; ties go to the earliest. Candidates without an
    /// answer are passed over, since a strategy must return an answer if any candidate has one.
    /// </summary>
    public static Candidate? Best(IEnumerable<Candidate> candidates, Func<Candidate, double> value)
    {
        Candidate? best = null;
        double bestValue = double.NegativeInfinity;
        foreach (var c in candidates)
        {
            if (c.Answer is null) continue;
            var v = value(c);
            if (best is null || v > bestValue) { best = c; bestValue = v; }
        }
        return best;
    }

    /// <summary>The verifier value of a scored candidate (negative infinity when unscored).</summary>
    public static double ScoreOf(Candidate c) => c.Score?.Value ?? double.NegativeInfinity;
}
