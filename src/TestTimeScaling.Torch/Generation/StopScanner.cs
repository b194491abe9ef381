namespace TestTimeScaling.Torch;

/// <summary>
/// Finds where a sample's text should end: at a stop sequence (excluded from the text) or just
/// after the step delimiter (kept), whichever comes first.
/// </summary>
internal sealed class StopScanner
{
    private readonly IReadOnlyList<string> _stops;
    private readonly string? _delimiter;
    private readonly int _longest;

    public StopScanner(SamplingOptions options)
    {
        _stops = options.StopSequences;
        _delimiter = options.StepDelimiter;
        _longest = _stops.Append(_delimiter ?? "").Max(s => s.Length);
    }

    /// <summary>Whether any text rule is active (otherwise decoding each step can be skipped).</summary>
    public bool Active => _longest > 0;

    /// <summary>
    /// Looks for a stop in <paramref name="text"/>, searching only where text appended since
    /// <paramref name="scannedLength"/> could complete a match.
    /// </summary>
    /// <returns>The reason and the length of text to keep, or null when the sample goes on.</returns>
    public (FinishReason Reason, int KeepLength)? Scan(string text, int scannedLength)
    {
        int from = Math.Max(0, scannedLength - _longest + 1);
        int bestAt = int.MaxValue;
        (FinishReason, int)? best = null;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, from, StringComparison.Ordinal);
            if (at >= 0 && at < bestAt) (bestAt, best) = (at, (FinishReason.Stop, at));
        }
        if (_delimiter is not null)
        {
            int at = text.IndexOf(_delimiter, from, StringComparison.Ordinal);
            if (at >= 0 && at < bestAt) best = (FinishReason.StepBoundary, at + _delimiter.Length);
        }
        return best;
    }
}
