using System.Buffers;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The in-place CPU draw as it was before rows were drawn in parallel and the block weights fused (main at 71d5ece,
/// one thread, Subtract/Multiply/Exp/Sum of TensorPrimitives per block of 256), kept verbatim as the oracle the
/// parallel draw must match bit for bit (tokens and logprobs), and as the "before" of the <c>--draw</c> bench, which
/// compiles this file too.
/// </summary>
internal static class SequentialTokenDraw
{
    private const int BlockSize = 256;

    /// <summary>
    /// Draws one token per row of <paramref name="logits"/> [rows, vocab] at <paramref name="temperature"/> (&gt; 0),
    /// dropping tokens whose probability is below <paramref name="minP"/> times the row's best (0: none); fills
    /// <paramref name="logprobs"/> (when given) with the chosen tokens' log-probabilities under the model (before
    /// temperature and truncation).
    /// </summary>
    public static long[] Draw(Tensor logits, double temperature, double minP, float[] uniforms, float[]? logprobs)
    {
        int rows = (int)logits.shape[0], vocab = (int)logits.shape[1];
        if (uniforms.Length != rows) throw new ArgumentException($"One uniform number per row is needed ({rows}), got {uniforms.Length}.", nameof(uniforms));
        var tokens = new long[rows];
        float inverse = (float)(1 / temperature), threshold = (float)minP;
        var all = MemoryMarshal.Cast<byte, float>(logits.bytes);
        for (int r = 0; r < rows; r++)
        {
            (tokens[r], float logprob) = DrawRow(all.Slice(r * vocab, vocab), inverse, threshold, uniforms[r], logprobs is not null);
            if (logprobs is not null) logprobs[r] = logprob;
        }
        return tokens;
    }

    /// <summary>The most likely token per row (the first of equals, as argmax), with its log-probability when <paramref name="logprobs"/> is given.</summary>
    public static long[] Greedy(Tensor logits, float[]? logprobs)
    {
        int rows = (int)logits.shape[0], vocab = (int)logits.shape[1];
        var tokens = new long[rows];
        var all = MemoryMarshal.Cast<byte, float>(logits.bytes);
        Span<float> buffer = stackalloc float[BlockSize];
        for (int r = 0; r < rows; r++)
        {
            var row = all.Slice(r * vocab, vocab);
            int best = TensorPrimitives.IndexOfMax(row);
            tokens[r] = best;
            if (logprobs is null) continue;
            float max = row[best];
            double sum = 0;
            for (int b = 0; b * BlockSize < vocab; b++)
            {
                var part = Block(row, b);
                var weights = buffer[..part.Length];
                TensorPrimitives.Subtract(part, max, weights);
                TensorPrimitives.Exp(weights, weights);
                sum += TensorPrimitives.Sum(weights);
            }
            logprobs[r] = (float)-Math.Log(sum);
        }
        return tokens;
    }

    private static (long Token, float Logprob) DrawRow(ReadOnlySpan<float> row, float inverse, float minP, float uniform, bool wantLogprob)
    {
        int blocks = (row.Length + BlockSize - 1) / BlockSize;
        double[] rented = ArrayPool<double>.Shared.Rent(blocks);
        try
        {
            var sums = rented.AsSpan(0, blocks);
            Span<float> buffer = stackalloc float[BlockSize];
            float max = TensorPrimitives.Max(row);
            double total = 0, all = 0, model = 0;
            bool tempered = inverse != 1;
            for (int b = 0; b < blocks; b++)
            {
                var part = Block(row, b);
                var weights = Weights(part, max, inverse, minP, buffer, out float unmasked);
                all += unmasked;
                sums[b] = minP > 0 ? TensorPrimitives.Sum(weights) : unmasked;
                total += sums[b];
                if (wantLogprob && tempered)
                {
                    // The model's own normaliser needs exp(x - max) untempered.
                    var plain = buffer[..part.Length];
                    TensorPrimitives.Subtract(part, max, plain);
                    TensorPrimitives.Exp(plain, plain);
                    model += TensorPrimitives.Sum(plain);
                }
            }
            if (!tempered) model = all;

            // u < 1, so target < total; the block holding it is the first whose cumulative sum passes it.
            double target = uniform * total, before = 0;
            int chosen = -1;
            bool passed = false;
            for (int b = 0; b < blocks; b++)
            {
                if (sums[b] <= 0) continue;
                chosen = b;
                if (before + sums[b] > target)
                {
                    passed = true;
                    break;
                }
                before += sums[b];
            }
            // Rounding left the target at the very end: the last block with weight, at its end.
            if (!passed && chosen >= 0) before -= sums[chosen];
            if (chosen < 0) return (TensorPrimitives.IndexOfMax(row), 0); // no weight anywhere (a NaN row): the argmax, as softmax would not help
            var inBlock = Weights(Block(row, chosen), max, inverse, minP, buffer, out _);
            double rest = target - before, running = 0;
            int token = -1;
            for (int i = 0; i < inBlock.Length; i++)
            {
                if (inBlock[i] <= 0) continue;
                token = i;
                running += inBlock[i];
                if (running > rest) break;
            }
            long id = (long)chosen * BlockSize + token;
            float logprob = wantLogprob ? (float)(row[(int)id] - max - Math.Log(model)) : 0;
            return (id, logprob);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    private static ReadOnlySpan<float> Block(ReadOnlySpan<float> row, int block)
    {
        int start = block * BlockSize;
        return row.Slice(start, Math.Min(BlockSize, row.Length - start));
    }

    /// <summary>exp((x - max) / T) of one block into <paramref name="buffer"/>, min-p applied; <paramref name="unmasked"/> is the sum before min-p.</summary>
    private static Span<float> Weights(ReadOnlySpan<float> part, float max, float inverse, float minP, Span<float> buffer, out float unmasked)
    {
        var weights = buffer[..part.Length];
        TensorPrimitives.Subtract(part, max, weights);
        if (inverse != 1) TensorPrimitives.Multiply(weights, inverse, weights);
        TensorPrimitives.Exp(weights, weights);
        unmasked = TensorPrimitives.Sum(weights);
        if (minP > 0)
        {
            // The best token's weight is exp(0) = 1, so min-p keeps the weights of at least minP.
            for (int i = 0; i < weights.Length; i++)
            {
                if (weights[i] < minP) weights[i] = 0;
            }
        }
        return weights;
    }
}
