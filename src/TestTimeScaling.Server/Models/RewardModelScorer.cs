using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Server;

/// <summary>
/// Per-token output of a token-classification reward model, as vLLM's pooling API returns it: for every
/// input token, the probability of each label (sigmoid with one label, softmax with more).
/// </summary>
internal sealed class RewardModelScorer
{
    private readonly LlamaDecoder _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public RewardModelScorer(LlamaDecoder model, ITextTokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>Token ids of <paramref name="input"/> as the model reads it (BOS first when the tokenizer asks for one).</summary>
    public int[] Encode(string input)
    {
        var ids = _tokenizer.Encode(input);
        return _tokenizer is { AddBosToken: true, BosTokenId: int bos } ? [bos, .. ids] : [.. ids];
    }

    /// <summary>One row of label probabilities per token of <paramref name="tokens"/>.</summary>
    public async Task<float[][]> ScoreAsync(int[] tokens, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await Task.Run(() => Score(tokens), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private float[][] Score(int[] tokens)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], dtype: ScalarType.Int64, device: _model.Device);
        var output = _model.Forward(ids)[0]; // [T, labels]
        var probabilities = output.size(-1) == 1 ? output.sigmoid() : output.softmax(-1);
        int labels = (int)probabilities.size(-1);
        var values = probabilities.to(ScalarType.Float32).cpu().data<float>().ToArray();
        var rows = new float[tokens.Length][];
        for (int t = 0; t < tokens.Length; t++) rows[t] = values.AsSpan(t * labels, labels).ToArray();
        return rows;
    }
}
