using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Turns next-token logits into chosen tokens: temperature, then top-k, top-p and min-p truncation
/// (the order transformers and vLLM use), then a draw from the seeded generator.
/// </summary>
internal static class TokenSampler
{
    /// <summary>Chosen token per row and its log-probability under the model (before temperature and truncation).</summary>
    public static (long[] Tokens, float[] Logprobs) Sample(Tensor logits, SamplingOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = logits.to(ScalarType.Float32);
        var logp = x.log_softmax(-1);
        Tensor chosen;
        if (options.Temperature == 0)
        {
            chosen = x.argmax(-1, keepdim: true);
        }
        else
        {
            var filtered = Truncate(x / options.Temperature, options);
            chosen = filtered.softmax(-1).multinomial(1, generator: generator);
        }
        var chosenLogp = logp.gather(-1, chosen).squeeze(-1).cpu();
        var ids = chosen.squeeze(-1).cpu();
        return (ids.data<long>().ToArray(), chosenLogp.data<float>().ToArray());
    }

    /// <summary>Sets the logits of excluded tokens to -inf. The most likely token always survives.</summary>
    internal static Tensor Truncate(Tensor scaled, SamplingOptions options)
    {
        var x = scaled;
        long vocab = x.shape[^1];
        if (options.TopK is > 0 and var k && k < vocab)
        {
            var kth = x.topk(k, dim: -1).values[.., (k - 1)..k];
            x = x.masked_fill(x < kth, float.NegativeInfinity);
        }
        if (options.TopP is { } p && p < 1.0)
        {
            var (sorted, order) = x.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            // Drop a token when the tokens ranked above it already reach p.
            var drop = (probs.cumsum(-1) - probs) >= p;
            var kept = sorted.masked_fill(drop, float.NegativeInfinity);
            x = full_like(x, float.NegativeInfinity).scatter(-1, order, kept);
        }
        if (options.MinP is { } minP && minP > 0)
        {
            var probs = x.softmax(-1);
            var threshold = probs.max(-1, keepdim: true).values * minP;
            x = x.masked_fill(probs < threshold, float.NegativeInfinity);
        }
        return x;
    }
}
