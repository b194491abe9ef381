using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// A plain, loop-by-loop Llama-family forward pass in double precision, written from the Hugging Face
/// transformers definitions (modeling_llama / modeling_mistral / modeling_qwen2 / modeling_qwen3,
/// modeling_rope_utils, activations, masking_utils): rotate-half RoPE on the first int(head_dim *
/// partial_rotary_factor) dimensions with default, linear, dynamic-NTK, YaRN and Llama 3 frequencies and
/// YaRN's attention factor; GQA with query head h using key/value head h / (heads / kv_heads); the biases
/// of each family (Llama attention_bias: q, k, v, o; Qwen2: q, k, v; Mistral: none; Llama mlp_bias);
/// Qwen3's per-head q/k RMSNorm; sliding windows (key s seen from query t when t - s &lt; window) on the
/// layers transformers makes sliding; hidden_act; RMSNorm; tied or untied head. It shares no code with the
/// library's torch implementation, so agreement pins the semantics, not just self-consistency.
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
        CheckBiases();
    }

    // Which projections carry biases, from the family definitions (independently of the library's rules).
    private bool QkvBias => _c.ModelType == "qwen2" || (_c.ModelType is "llama" or "qwen3" && _c.AttentionBias);
    private bool OBias => _c.ModelType is "llama" or "qwen3" && _c.AttentionBias;
    private bool MlpBias => _c.ModelType == "llama" && _c.MlpBias;

    private void CheckBiases()
    {
        foreach (var (proj, expected) in new[] { ("q_proj", QkvBias), ("k_proj", QkvBias), ("v_proj", QkvBias), ("o_proj", OBias) })
            Assert.Equal(expected, _w.ContainsKey($"model.layers.0.self_attn.{proj}.bias"));
        foreach (var proj in new[] { "gate_proj", "up_proj", "down_proj" })
            Assert.Equal(MlpBias, _w.ContainsKey($"model.layers.0.mlp.{proj}.bias"));
    }

    /// <summary>The sliding window of layer <paramref name="layer"/>, or null for full attention.</summary>
    private int? Window(int layer)
    {
        switch (_c.ModelType)
        {
            case "mistral":
                return _c.SlidingWindow;
            case "qwen2" or "qwen3":
                int? window = _c.UseSlidingWindow ? _c.SlidingWindow : null;
                bool sliding = _c.LayerTypes is { } types ? types[layer] == "sliding_attention" : window is not null && layer >= _c.MaxWindowLayers;
                return sliding ? window : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Logits [T][vocab] (or scores [T][labels]) for one token sequence. With <paramref name="callLength"/>, token t
    /// is rotated with the frequencies of a forward call of that length (transformers' dynamic RoPE under a KV
    /// cache: each token keeps the rotation of the call that computed it); without, every token uses T.
    /// </summary>
    public double[][] Forward(int[] tokens, int[]? callLength = null)
    {
        int T = tokens.Length, H = _c.HiddenSize, D = _c.HeadDim, nH = _c.NumAttentionHeads, nKV = _c.NumKeyValueHeads;
        int R = (int)(D * _c.PartialRotaryFactor);
        var embed = _w["model.embed_tokens.weight"];
        var x = tokens.Select(tok => embed.AsSpan(tok * H, H).ToArray()).ToArray();
        var rope = Enumerable.Range(0, T).Select(t => InverseFrequencies(R, callLength?[t] ?? T)).ToArray();
        for (int l = 0; l < _c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var h = x.Select(r => RmsNorm(r, _w[p + "input_layernorm.weight"])).ToArray();
            var q = h.Select(r => Linear(r, p + "self_attn.q_proj", QkvBias)).ToArray();
            var k = h.Select(r => Linear(r, p + "self_attn.k_proj", QkvBias)).ToArray();
            var v = h.Select(r => Linear(r, p + "self_attn.v_proj", QkvBias)).ToArray();
            for (int t = 0; t < T; t++)
            {
                for (int head = 0; head < nH; head++)
                {
                    if (_c.ModelType == "qwen3") NormalizeHead(q[t], head * D, D, _w[p + "self_attn.q_norm.weight"]);
                    Rotate(q[t], head * D, R, t, rope[t].InvFreq, rope[t].AttentionFactor);
                }
                for (int head = 0; head < nKV; head++)
                {
                    if (_c.ModelType == "qwen3") NormalizeHead(k[t], head * D, D, _w[p + "self_attn.k_norm.weight"]);
                    Rotate(k[t], head * D, R, t, rope[t].InvFreq, rope[t].AttentionFactor);
                }
            }
            int? window = Window(l);
            var attended = new double[T][];
            for (int t = 0; t < T; t++)
            {
                attended[t] = new double[nH * D];
                int first = window is { } w ? Math.Max(0, t - w + 1) : 0; // keys s with t - s < w
                for (int head = 0; head < nH; head++)
                {
                    int kvHead = head / (nH / nKV);
                    var scores = new double[t + 1 - first];
                    for (int s = first; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[t][head * D + d] * k[s][kvHead * D + d];
                        scores[s - first] = dot / Math.Sqrt(D);
                    }
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    for (int s = first; s <= t; s++)
                    {
                        double weight = Math.Exp(scores[s - first] - max) / sum;
                        for (int d = 0; d < D; d++) attended[t][head * D + d] += weight * v[s][kvHead * D + d];
                    }
                }
            }
            for (int t = 0; t < T; t++)
            {
                var o = Linear(attended[t], p + "self_attn.o_proj", OBias);
                for (int i = 0; i < H; i++) x[t][i] += o[i];
                var h2 = RmsNorm(x[t], _w[p + "post_attention_layernorm.weight"]);
                var gate = Linear(h2, p + "mlp.gate_proj", MlpBias);
                var up = Linear(h2, p + "mlp.up_proj", MlpBias);
                var act = gate.Select((g, i) => Activation(g) * up[i]).ToArray();
                var down = Linear(act, p + "mlp.down_proj", MlpBias);
                for (int i = 0; i < H; i++) x[t][i] += down[i];
            }
        }
        if (_c.IsTokenClassifier) return x.Select(r => Linear(RmsNorm(r, _w["model.norm.weight"]), "score", true)).ToArray();
        string head0 = _c.TieWordEmbeddings ? "model.embed_tokens" : "lm_head";
        return x.Select(r => Linear(RmsNorm(r, _w["model.norm.weight"]), head0, false)).ToArray();
    }

    /// <summary>Inverse frequencies for a rotated width <paramref name="dim"/> and the cos/sin scale, for a forward over <paramref name="length"/> tokens.</summary>
    private (double[] InvFreq, double AttentionFactor) InverseFrequencies(int dim, int length)
    {
        double[] Base(double theta) => Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / dim)).ToArray();
        var s = _c.RopeScaling;
        switch (s?.RopeType)
        {
            case null or "default":
                return (Base(_c.RopeTheta), 1.0);
            case "linear":
                return (Base(_c.RopeTheta).Select(f => f / s.Factor).ToArray(), 1.0);
            case "dynamic":
            {
                // The base grows with the sequence once it exceeds max_position_embeddings.
                double seq = Math.Max(length, _c.MaxPositionEmbeddings), max = _c.MaxPositionEmbeddings;
                double theta = _c.RopeTheta * Math.Pow(s.Factor * seq / max - (s.Factor - 1), dim / (dim - 2.0));
                return (Base(theta), 1.0);
            }
            case "llama3":
            {
                double old = s.OriginalMaxPositionEmbeddings, lowWavelen = old / s.LowFreqFactor, highWavelen = old / s.HighFreqFactor;
                return (Base(_c.RopeTheta).Select(f =>
                {
                    double wavelen = 2 * Math.PI / f;
                    if (wavelen < highWavelen) return f;              // high frequencies: unchanged
                    if (wavelen > lowWavelen) return f / s.Factor;    // low frequencies: divided by the factor
                    double smooth = (old / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    return (1 - smooth) * f / s.Factor + smooth * f;
                }).ToArray(), 1.0);
            }
            case "yarn":
            {
                double original = s.OriginalMaxPositionEmbeddings == 0 ? _c.MaxPositionEmbeddings : s.OriginalMaxPositionEmbeddings;
                double fast = s.BetaFast is { } bf && bf != 0 ? bf : 32, slow = s.BetaSlow is { } bs && bs != 0 ? bs : 1;
                static double Mscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;
                double attention = s.AttentionFactor ?? (s.Mscale is { } m && m != 0 && s.MscaleAllDim is { } a && a != 0
                    ? Mscale(s.Factor, m) / Mscale(s.Factor, a) : Mscale(s.Factor, 1));
                // The dimension whose wavelength makes `rotations` turns over the original context.
                double Dim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(_c.RopeTheta));
                double low = Dim(fast), high = Dim(slow);
                if (s.Truncate) { low = Math.Floor(low); high = Math.Ceiling(high); }
                low = Math.Max(low, 0); high = Math.Min(high, dim - 1);
                if (low == high) high += 0.001;
                var freqs = Base(_c.RopeTheta).Select((f, i) =>
                {
                    double ramp = Math.Clamp((i - low) / (high - low), 0, 1); // 0: keep (extrapolate), 1: divide by factor
                    return f / s.Factor * ramp + f * (1 - ramp);
                }).ToArray();
                return (freqs, attention);
            }
            default:
                throw new NotSupportedException(s.RopeType);
        }
    }

    private double Activation(double g) => _c.HiddenAct switch
    {
        "silu" or "swish" => g / (1 + Math.Exp(-g)),
        "gelu" => 0.5 * g * (1 + Erf(g / Math.Sqrt(2))),
        "gelu_new" or "gelu_pytorch_tanh" => 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))),
        "gelu_fast" => 0.5 * g * (1 + Math.Tanh(g * 0.7978845608 * (1 + 0.044715 * g * g))),
        "quick_gelu" => g / (1 + Math.Exp(-1.702 * g)),
        "relu" => Math.Max(g, 0),
        "relu2" => Math.Max(g, 0) * Math.Max(g, 0),
        _ => throw new NotSupportedException(_c.HiddenAct),
    };

    /// <summary>erf to ~1e-15: Maclaurin series near 0, Lentz continued fraction for erfc further out.</summary>
    internal static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x < 2.5)
        {
            double term = x, sum = x;
            for (int n = 1; n < 100; n++)
            {
                term *= -x * x / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        if (x > 6) return 1.0;
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
        double fraction = x;
        for (int n = 200; n >= 1; n--) fraction = x + n / 2.0 / fraction;
        return 1 - Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }

    /// <summary>Rotate-half on the first <paramref name="rotary"/> dims: dimension i pairs with i + rotary/2; the rest pass through.</summary>
    private static void Rotate(double[] vector, int offset, int rotary, int position, double[] invFreq, double scale)
    {
        int half = rotary / 2;
        for (int i = 0; i < half; i++)
        {
            double angle = position * invFreq[i], cos = Math.Cos(angle) * scale, sin = Math.Sin(angle) * scale;
            double a = vector[offset + i], b = vector[offset + i + half];
            vector[offset + i] = a * cos - b * sin;
            vector[offset + i + half] = b * cos + a * sin;
        }
    }

    private void NormalizeHead(double[] vector, int offset, int dim, double[] weight)
    {
        double sum = 0;
        for (int d = 0; d < dim; d++) sum += vector[offset + d] * vector[offset + d];
        double scale = 1 / Math.Sqrt(sum / dim + _c.RmsNormEps);
        for (int d = 0; d < dim; d++) vector[offset + d] *= scale * weight[d];
    }

    private double[] RmsNorm(double[] x, double[] weight)
    {
        double scale = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + _c.RmsNormEps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private double[] Linear(double[] x, string name, bool bias)
    {
        var w = _w[name + ".weight"];
        long outputs = _shape[name + ".weight"][0], inputs = _shape[name + ".weight"][1];
        var b = bias ? _w[name + ".bias"] : null;
        var y = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = b?[o] ?? 0;
            for (int i = 0; i < inputs; i++) sum += w[o * inputs + i] * x[i];
            y[o] = sum;
        }
        return y;
    }
}
