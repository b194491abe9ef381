namespace TestTimeScaling.Torch;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>: text matched whole, before any splitting or BPE.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Special">Whether it is a control token (end of text, padding) that decoding may skip.</param>
internal sealed record AddedToken(int Id, string Content, bool Special)
{
    /// <summary>Only matched where it is not inside a word.</summary>
    public bool SingleWord { get; init; }

    /// <summary>A match also takes the whitespace on its left.</summary>
    public bool LeftStrip { get; init; }

    /// <summary>A match also takes the whitespace on its right.</summary>
    public bool RightStrip { get; init; }

    /// <summary>Matched in the normalized text (with its content normalized) rather than in the raw text.</summary>
    public bool Normalized { get; init; }
}
