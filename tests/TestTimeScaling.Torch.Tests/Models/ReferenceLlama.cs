using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// A plain, loop-by-loop Llama forward pass in double precision, written from the Hugging Face
/// transformers definition (rotate-half RoPE, Llama 3 frequency scaling, GQA with query head h using
/// key/value head h / (heads / kv_heads), SwiGLU, RMSNorm, tied or untied head). It shares no code with
/// the library's torch implementation, so agreement pins the semantics, not just self-consistency.
/// </summary>
internal sealed class ReferenceLlama
{
    private readonly ModelConfig _c;
    private readonly Dictionary<string, double[]> _w;
    private readonly Dictionary<string, long[]> _shape;

    public ReferenceLlama(LlamaDecoder model)
    {
        _c = model.Config;
        _w = [];
        _shape = [];
        foreach (var (name, t) in model.StateDict())
        {
            using var cpu = t.to(ScalarType.Float64).cpu().contiguous();
            _w[name] = cpu.data<double>().ToArray();
            _shape[name] = t.shape;
        }
    }

    /// <summary>Logits [T][vocab] for one token sequence.</summary>
    public double[][] Forward(int[] tokens)
    {
        int T = tokens.Length, H = _c.HiddenSize, D = _c.HeadDim, nH = _c.NumAttentionHeads, nKV = _c.NumKeyValueHeads;
        var embed = _w["model.embed_tokens.weight"];
        var x = tokens.Select(tok => embed.AsSpan(tok * H, H).ToArray()).ToArray();
        var invFreq = InverseFrequencies();
        for (int l = 0; l < _c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var h = x.Select(r => RmsNorm(r, _w[p + "input_layernorm.weight"])).ToArray();
            var q = h.Select(r => Linear(r, p + "self_attn.q_proj")).ToArray();
            var k = h.Select(r => Linear(r, p + "self_attn.k_proj")).ToArray();
            var v = h.Select(r => Linear(r, p + "self_attn.v_proj")).ToArray();
            for (int t = 0; t < T; t++)
            {
                for (int head = 0; head < nH; head++) Rotate(q[t], head * D, D, t, invFreq);
                for (int head = 0; head < nKV; head++) Rotate(k[t], head * D, D, t, invFreq);
            }
            var attended = new double[T][];
            for (int t = 0; t < T; t++)
            {
                attended[t] = new double[nH * D];
                for (int head = 0; head < nH; head++)
                {
                    int kvHead = head / (nH / nKV);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[t][head * D + d] * k[s][kvHead * D + d];
                        scores[s] = dot / Math.Sqrt(D);
                    }
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    for (int s = 0; s <= t; s++)
                    {
                        double weight = Math.Exp(scores[s] - max) / sum;
                        for (int d = 0; d < D; d++) attended[t][head * D + d] += weight * v[s][kvHead * D + d];
                    }
                }
            }
            for (int t = 0; t < T; t++)
            {
                var o = Linear(attended[t], p + "self_attn.o_proj");
                for (int i = 0; i < H; i++) x[t][i] += o[i];
                var h2 = RmsNorm(x[t], _w[p + "post_attention_layernorm.weight"]);
                var gate = Linear(h2, p + "mlp.gate_proj");
                var up = Linear(h2, p + "mlp.up_proj");
                var act = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                var down = Linear(act, p + "mlp.down_proj");
                for (int i = 0; i < H; i++) x[t][i] += down[i];
            }
        }
        string head0 = _c.TieWordEmbeddings ? "model.embed_tokens" : "lm_head";
        return x.Select(r => Linear(RmsNorm(r, _w["model.norm.weight"]), head0)).ToArray();
    }

    private double[] InverseFrequencies()
    {
        int D = _c.HeadDim;
        var inv = Enumerable.Range(0, D / 2).Select(i => 1.0 / Math.Pow(_c.RopeTheta, 2.0 * i / D)).ToArray();
        if (_c.RopeScaling is not { RopeType: "llama3" } s) return inv;
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor, highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        return inv.Select(f =>
        {
            double wavelen = 2 * Math.PI / f;
            if (wavelen < highWavelen) return f;              // high frequencies: unchanged
            if (wavelen > lowWavelen) return f / s.Factor;    // low frequencies: divided by the factor
            double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            return (1 - smooth) * f / s.Factor + smooth * f;
        }).ToArray();
    }

    /// <summary>Rotate-half: dimension i pairs with i + D/2 (not with its neighbour, as interleaved RoPE would).</summary>
    private static void Rotate(double[] vector, int offset, int dim, int position, double[] invFreq)
    {
        int half = dim / 2;
        for (int i = 0; i < half; i++)
        {
            double angle = position * invFreq[i], cos = Math.Cos(angle), sin = Math.Sin(angle);
            double a = vector[offset + i], b = vector[offset + i + half];
            vector[offset + i] = a * cos - b * sin;
            vector[offset + i + half] = b * cos + a * sin;
        }
    }

    private double[] RmsNorm(double[] x, double[] weight)
    {
        double scale = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + _c.RmsNormEps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private double[] Linear(double[] x, string name)
    {
        var w = _w[name + ".weight"];
        long outputs = _shape[name + ".weight"][0], inputs = _shape[name + ".weight"][1];
        _w.TryGetValue(name + ".bias", out var bias);
        var y = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = bias?[o] ?? 0;
            for (int i = 0; i < inputs; i++) sum += w[o * inputs + i] * x[i];
            y[o] = sum;
        }
        return y;
    }
}
