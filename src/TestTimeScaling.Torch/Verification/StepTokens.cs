namespace TestTimeScaling.Torch.Verification;

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
