namespace TestTimeScaling.Torch;

/// <summary>Text to token ids and back: what the generation engine needs from a tokenizer.</summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/>, without special tokens added.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Text of <paramref name="ids"/>.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>Whether the model expects <see cref="BosTokenId"/> at the start of every text.</summary>
    bool AddBosToken { get; }

    /// <summary>Beginning-of-sequence token, if the model uses one.</summary>
    int? BosTokenId { get; }

    /// <summary>Tokens that end a sequence.</summary>
    IReadOnlyList<int> EosTokenIds { get; }
}
