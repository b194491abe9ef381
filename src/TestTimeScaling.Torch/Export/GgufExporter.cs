using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Writes a Llama-family causal language model as a GGUF file that llama.cpp (and so Ollama and LLamaSharp)
/// can run: the weights under llama.cpp's tensor names, the architecture as <c>llama.*</c> metadata, and a
/// byte-level BPE tokenizer as llama.cpp's "gpt2" tokenizer model.
/// </summary>
/// <remarks>
/// llama.cpp's Llama graph rotates adjacent pairs of each head, where Hugging Face rotates the two halves,
/// so the rows of <c>q_proj</c> and <c>k_proj</c> (and their biases) are permuted on the way out, as
/// llama.cpp's own converter does; the attention scores, and so the logits, are unchanged. Qwen2 and Mistral
/// checkpoints export under the same architecture (llama.cpp's Llama graph takes optional q/k/v/o biases).
/// Llama 3 rope scaling is written as llama.cpp's <c>rope_freqs</c> tensor.
/// </remarks>
public static class GgufExporter
{
    /// <summary>Exports a loaded model; its tokenizer is read from the model directory's tokenizer.json.</summary>
    /// <param name="model">A causal language model loaded with <see cref="LanguageModel.Load"/>.</param>
    /// <param name="path">The .gguf file to write (replaced if it exists; written to a temporary name first).</param>
    /// <param name="options">Weight storage; F32 when null.</param>
    /// <exception cref="NotSupportedException">The model is a reward model, or uses a feature llama.cpp's Llama graph lacks; the message names it.</exception>
    /// <exception cref="InvalidDataException">The tokenizer file is malformed.</exception>
    public static void Export(LanguageModel model, string path, GgufExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Export(model.Decoder, Path.Combine(model.Directory, ModelDirectory.TokenizerFileName), path,
            options ?? new GgufExportOptions { Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(model.Directory)) });
    }

    /// <summary>Exports a decoder with the byte-level BPE tokenizer of <paramref name="tokenizerJsonPath"/>.</summary>
    /// <param name="decoder">The network (a causal language model).</param>
    /// <param name="tokenizerJsonPath">The tokenizer.json that goes with it.</param>
    /// <param name="path">The .gguf file to write.</param>
    /// <param name="options">Weight storage; F32 when null.</param>
    /// <exception cref="NotSupportedException">The model is a reward model, or uses a feature llama.cpp's Llama graph lacks; the message names it.</exception>
    /// <exception cref="InvalidDataException">The tokenizer file is malformed.</exception>
    public static void Export(LlamaDecoder decoder, string tokenizerJsonPath, string path, GgufExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new GgufExportOptions();
        var config = decoder.Config;
        CheckSupported(config);
        var vocabulary = GgufVocabulary.Read(tokenizerJsonPath, config.VocabSize);

        var file = new GgufFileWriter();
        WriteArchitecture(file, config, options);
        WriteTokenizer(file, config, vocabulary);
        if (config.RopeScaling is { RopeType: "llama3" } scaling)
        {
            float[] factors = Llama3FreqFactors(config, scaling);
            file.AddTensor(new GgufTensor("rope_freqs.weight", [factors.Length], GgmlType.F32, factors.Length * 4L,
                w => GgufEncoding.Write(w, GgmlType.F32, factors)));
        }
        foreach (var (name, tensor) in decoder.StateDict())
            file.AddTensor(ToGguf(name, tensor, config, options.WeightType));
        file.Write(path);
    }

    private static void CheckSupported(ModelConfig config)
    {
        if (config.IsTokenClassifier)
            throw new NotSupportedException($"GGUF export writes causal language models; {config.Architecture} has a score head llama.cpp's Llama graph does not run.");
        if (config.RopeScaling is { } rope && rope.RopeType is not ("llama3" or "default"))
            throw new NotSupportedException($"GGUF export: rope_scaling type \"{rope.RopeType}\" is not exported.");
        // What llama.cpp's Llama graph cannot express is refused by name rather than written wrong.
        if (config.ModelType is not ("llama" or "mistral" or "qwen2"))
            throw new NotSupportedException($"GGUF export: model_type \"{config.ModelType}\" is not exported (its graph differs from llama.cpp's Llama).");
        if (config.HiddenAct is not ("silu" or "swish"))
            throw new NotSupportedException($"GGUF export: hidden_act \"{config.HiddenAct}\" is not exported (llama.cpp's Llama graph uses SiLU).");
        if (config.PartialRotaryFactor != 1.0)
            throw new NotSupportedException($"GGUF export: partial_rotary_factor {config.PartialRotaryFactor} is not exported.");
        if (config.HasSlidingLayers && config.EffectiveSlidingWindow < config.MaxPositionEmbeddings)
            throw new NotSupportedException($"GGUF export: sliding_window {config.EffectiveSlidingWindow} (shorter than the context) is not exported.");
    }

    private static void WriteArchitecture(GgufFileWriter file, ModelConfig config, GgufExportOptions options)
    {
        file.AddString("general.architecture", "llama");
        file.AddString("general.name", options.Name ?? "model");
        file.AddUInt32("general.file_type", options.WeightType switch
        {
            GgufWeightType.F16 => 1u,    // LLAMA_FTYPE_MOSTLY_F16
            GgufWeightType.Q8_0 => 7u,   // LLAMA_FTYPE_MOSTLY_Q8_0
            GgufWeightType.BF16 => 32u,  // LLAMA_FTYPE_MOSTLY_BF16
            _ => 0u,                     // LLAMA_FTYPE_ALL_F32
        });
        if (options.WeightType == GgufWeightType.Q8_0) file.AddUInt32("general.quantization_version", 2);
        file.AddUInt32("llama.vocab_size", (uint)config.VocabSize);
        file.AddUInt32("llama.context_length", (uint)config.MaxPositionEmbeddings);
        file.AddUInt32("llama.embedding_length", (uint)config.HiddenSize);
        file.AddUInt32("llama.block_count", (uint)config.NumHiddenLayers);
        file.AddUInt32("llama.feed_forward_length", (uint)config.IntermediateSize);
        file.AddUInt32("llama.attention.head_count", (uint)config.NumAttentionHeads);
        file.AddUInt32("llama.attention.head_count_kv", (uint)config.NumKeyValueHeads);
        file.AddUInt32("llama.attention.key_length", (uint)config.HeadDim);
        file.AddUInt32("llama.attention.value_length", (uint)config.HeadDim);
        file.AddUInt32("llama.rope.dimension_count", (uint)config.HeadDim);
        file.AddFloat32("llama.rope.freq_base", (float)config.RopeTheta);
        file.AddFloat32("llama.attention.layer_norm_rms_epsilon", (float)config.RmsNormEps);
    }

    private static void WriteTokenizer(GgufFileWriter file, ModelConfig config, GgufVocabulary vocabulary)
    {
        file.AddString("tokenizer.ggml.model", "gpt2");
        file.AddString("tokenizer.ggml.pre", vocabulary.PreTokenizer);
        file.AddStrings("tokenizer.ggml.tokens", vocabulary.Tokens);
        file.AddInt32s("tokenizer.ggml.token_type", vocabulary.TokenTypes);
        file.AddStrings("tokenizer.ggml.merges", vocabulary.Merges);
        if (config.BosTokenId is { } bos) file.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        if (config.EosTokenIds.Count > 0) file.AddUInt32("tokenizer.ggml.eos_token_id", (uint)config.EosTokenIds[0]);
        if (config.PadTokenId is { } pad) file.AddUInt32("tokenizer.ggml.padding_token_id", (uint)pad);
        file.AddBool("tokenizer.ggml.add_bos_token", false);
    }

    /// <summary>One parameter under its llama.cpp name, in the requested storage, with the rotary permutation for q and k.</summary>
    private static GgufTensor ToGguf(string hfName, Tensor parameter, ModelConfig config, GgufWeightType weightType)
    {
        string name = GgufName(hfName);
        long[] dims = parameter.shape.Reverse().ToArray();
        // Vectors (norms, biases) stay F32 as llama.cpp's converter keeps them; matrices take the requested type.
        GgmlType type = dims.Length < 2 ? GgmlType.F32 : weightType switch
        {
            GgufWeightType.F16 => GgmlType.F16,
            GgufWeightType.BF16 => GgmlType.BF16,
            GgufWeightType.Q8_0 when dims[0] % GgufEncoding.Q8Block == 0 => GgmlType.Q8_0,
            GgufWeightType.Q8_0 => GgmlType.F16,
            _ => GgmlType.F32,
        };
        // The values are read when the writer reaches this tensor, so only one tensor's copy is alive at a time.
        return new GgufTensor(name, dims, type, GgufEncoding.ByteCount(type, parameter.numel()),
            w => GgufEncoding.Write(w, type, Values(hfName, parameter, config)));
    }

    /// <summary>The parameter as fp32 values in GGUF order, with the rotary permutation for q and k.</summary>
    private static float[] Values(string hfName, Tensor parameter, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        var t = parameter.detach().to(ScalarType.Float32).cpu();
        if (hfName.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.q_proj.bias", StringComparison.Ordinal))
            t = PermuteRotaryRows(t, config.NumAttentionHeads);
        else if (hfName.EndsWith("self_attn.k_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.k_proj.bias", StringComparison.Ordinal))
            t = PermuteRotaryRows(t, config.NumKeyValueHeads);
        return t.contiguous().data<float>().ToArray();
    }

    /// <summary>
    /// Reorders each head's rows from Hugging Face's halves layout [re_0..re_{d/2-1}, im_0..] to llama.cpp's
    /// interleaved pairs [re_0, im_0, re_1, im_1, ...]: view [heads, 2, d/2, ...], swap the middle axes.
    /// </summary>
    private static Tensor PermuteRotaryRows(Tensor t, int heads)
    {
        long rows = t.shape[0];
        long[] grouped = [heads, 2, rows / heads / 2, .. t.shape.Skip(1)];
        return t.reshape(grouped).transpose(1, 2).reshape(t.shape);
    }

    /// <summary>Hugging Face parameter name to llama.cpp tensor name; unknown names are refused rather than dropped.</summary>
    internal static string GgufName(string hfName)
    {
        switch (hfName)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        const string prefix = "model.layers.";
        if (hfName.StartsWith(prefix, StringComparison.Ordinal))
        {
            int dot = hfName.IndexOf('.', prefix.Length);
            if (dot > prefix.Length && int.TryParse(hfName.AsSpan(prefix.Length, dot - prefix.Length), out int layer))
            {
                string rest = hfName[(dot + 1)..];
                int lastDot = rest.LastIndexOf('.');
                string module = rest[..lastDot], kind = rest[(lastDot + 1)..];
                string? mapped = module switch
                {
                    "input_layernorm" => "attn_norm",
                    "post_attention_layernorm" => "ffn_norm",
                    "self_attn.q_proj" => "attn_q",
                    "self_attn.k_proj" => "attn_k",
                    "self_attn.v_proj" => "attn_v",
                    "self_attn.o_proj" => "attn_output",
                    "mlp.gate_proj" => "ffn_gate",
                    "mlp.up_proj" => "ffn_up",
                    "mlp.down_proj" => "ffn_down",
                    _ => null,
                };
                if (mapped is not null && kind is "weight" or "bias") return $"blk.{layer}.{mapped}.{kind}";
            }
        }
        throw new NotSupportedException($"GGUF export: tensor '{hfName}' has no llama.cpp equivalent.");
    }

    /// <summary>llama.cpp's per-frequency divisors for Llama 3 rope scaling (its converter computes the same).</summary>
    private static float[] Llama3FreqFactors(ModelConfig config, RopeScaling s)
    {
        int half = config.HeadDim / 2;
        var factors = new float[half];
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int i = 0; i < half; i++)
        {
            double freq = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) factors[i] = 1f;
            else if (wavelen > lowWavelen) factors[i] = (float)s.Factor;
            else
            {
                double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                factors[i] = (float)(1 / ((1 - smooth) / s.Factor + smooth));
            }
        }
        return factors;
    }
}
