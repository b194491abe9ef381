namespace TestTimeScaling.Torch;

/// <summary>
/// Tokenizes prompt + solution step by step, so the position of each step's last token is known
/// exactly (the same layout is used to train a process reward model and to query it).
/// </summary>
public static class StepTokens
{
    /// <summary>Splits a solution into steps, each keeping its trailing delimiter; a last step without one is kept too.</summary>
    public static IReadOnlyList<string> Split(string solution, string delimiter)
    {
        ArgumentException.ThrowIfNullOrEmpty(delimiter);
        var steps = new List<string>();
        int start = 0;
        while (start < solution.Length)
        {
            int at = solution.IndexOf(delimiter, start, StringComparison.Ordinal);
            int end = at < 0 ? solution.Length : at + delimiter.Length;
            steps.Add(solution[start..end]);
            start = end;
        }
        return steps;
    }

    /// <summary>
    /// Splits like <see cref="Split"/>, then closes a last step that lacks its delimiter. A causal model reads each
    /// token without seeing what follows, so without the closing delimiter it cannot tell a finished line from one
    /// that was cut off (by an end-of-sequence token or a length limit) and would judge a truncated solution only
    /// on the part it got right.
    /// </summary>
    public static IReadOnlyList<string> SplitClosed(string solution, string delimiter)
    {
        var steps = Split(solution, delimiter).ToList();
        if (steps.Count > 0 && !steps[^1].EndsWith(delimiter, StringComparison.Ordinal)) steps[^1] += delimiter;
        return steps;
    }

    /// <summary>Token ids of [BOS] + prompt + steps, and the index of each step's last token.</summary>
    public static (int[] Tokens, int[] StepEnds) Encode(ITextTokenizer tokenizer, string prompt, IReadOnlyList<string> steps, bool addBos)
    {
        var tokens = new List<int>();
        if (addBos && tokenizer.BosTokenId is { } bos) tokens.Add(bos);
        tokens.AddRange(tokenizer.Encode(prompt));
        var ends = new int[steps.Count];
        for (int i = 0; i < steps.Count; i++)
        {
            tokens.AddRange(tokenizer.Encode(steps[i]));
            ends[i] = tokens.Count - 1;
        }
        return ([.. tokens], ends);
    }
}
