using TestTimeScaling.Torch;

namespace TestTimeScaling.Server;

/// <summary>A model the server answers for: a sampler (local engine or any <see cref="ISampler"/>) or a reward model.</summary>
internal sealed class ServedModel
{
    public required string Name { get; init; }

    public required ModelKind Kind { get; init; }

    /// <summary>The sampler of a policy; null for a reward model.</summary>
    public ISampler? Sampler { get; init; }

    /// <summary>The local tokenizer, when there is one: token texts for logprobs and the BOS count of prompts.</summary>
    public ITextTokenizer? Tokenizer { get; init; }

    /// <summary>The verifier of a process reward model; null for a policy.</summary>
    public ProcessRewardVerifier? Verifier { get; init; }

    /// <summary>Per-token scoring for <c>/pooling</c>; null for a policy.</summary>
    public RewardModelScorer? Scorer { get; init; }

    /// <summary>Largest prompt plus generation length in tokens, when known.</summary>
    public int? ContextLength { get; init; }

    /// <summary>Token ids this model knows (its vocabulary size); 0 when no local model is known.</summary>
    public int VocabularySize { get; init; }

    /// <summary>When the model was loaded (seconds since the epoch), for <c>/v1/models</c>.</summary>
    public long Created { get; init; }

    /// <summary>Tokens the prompt occupies, including a BOS token the engine adds.</summary>
    public int CountPromptTokens(string prompt)
    {
        int count = Sampler?.CountTokens(prompt) ?? Tokenizer!.Encode(prompt).Count;
        return count + (Tokenizer is { AddBosToken: true, BosTokenId: not null } ? 1 : 0);
    }

    /// <summary>The text of one token, or null when no local tokenizer is known.</summary>
    public string? TokenText(int id) => Tokenizer?.Decode([id]);
}
