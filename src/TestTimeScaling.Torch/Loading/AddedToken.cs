namespace TestTimeScaling.Torch;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>: text matched whole, before any splitting or BPE.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Special">Whether it is a control token (end of text, padding) that decoding may skip.</param>
internal sealed record AddedToken(int Id, string Content, bool Special);
