using System.Text.Json.Nodes;
using TestTimeScaling.Torch.Tests.Support;
using TestTimeScaling.Torch.Tests.Tokenization;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// A model directory shaped like a real DeepSeek-V3-tokenizer checkpoint, written once per test class: a small
/// random Llama with grouped-query attention, the real DeepSeek-V3 tokenizer.json (128,815 tokens, committed gzipped
/// under Tokenization/Fixtures), a tokenizer_config.json with its real special tokens and chat template, and a
/// generation_config.json. The vocab is padded to 129,280 rows as the real config.json does. Set
/// <c>TTS_REALISTIC_DIR</c> to a folder to have it written there and kept (its <c>fp32</c> subfolder is a model
/// directory the Generate sample runs on; see docs/model-support.md).
/// </summary>
public sealed class RealisticModelDirectory : IDisposable
{
    /// <summary>vocab_size of DeepSeek-V3's config.json: the 128,815 tokenizer ids padded to a multiple of 128.</summary>
    public const int VocabSize = 129_280;

    /// <summary>The real BOS and EOS of the family (ids 0 and 1 of its tokenizer.json).</summary>
    public const string Bos = "<｜begin▁of▁sentence｜>", Eos = "<｜end▁of▁sentence｜>";

    /// <summary>The architecture: hidden 64, two layers, four query heads sharing two key/value heads.</summary>
    public static ModelConfig Config { get; } = new()
    {
        ModelType = "llama",
        Architecture = "LlamaForCausalLM",
        VocabSize = VocabSize,
        HiddenSize = 64,
        IntermediateSize = 160,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        MaxPositionEmbeddings = 256,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        TorchDtype = "float32",
        BosTokenId = 0,
        EosTokenIds = [1],
    };

    public RealisticModelDirectory()
    {
        _keep = Environment.GetEnvironmentVariable("TTS_REALISTIC_DIR") is { Length: > 0 };
        Root = _keep ? Path.GetFullPath(Environment.GetEnvironmentVariable("TTS_REALISTIC_DIR")!)
            : Path.Combine(Path.GetTempPath(), "tts-realistic-" + Guid.NewGuid().ToString("N"));
        Float32 = Directory.CreateDirectory(Path.Combine(Root, "fp32")).FullName;
        Bfloat16 = Directory.CreateDirectory(Path.Combine(Root, "bf16")).FullName;
        Original = TinyModels.Random(Config, seed: 11);

        DecoderCheckpoint.Save(Original, Float32);
        WriteTokenizerFiles(Float32);

        var halved = Original.StateDict().ToDictionary(p => p.Key, p => p.Value.to(ScalarType.BFloat16), StringComparer.Ordinal);
        Safetensors.SaveDirectory(Bfloat16, halved);
        foreach (var t in halved.Values) t.Dispose();
        (Config with { TorchDtype = "bfloat16" }).Save(Bfloat16);
        WriteTokenizerFiles(Bfloat16);
    }

    /// <summary>The random network as created, before any save.</summary>
    public LlamaDecoder Original { get; }

    /// <summary>The directory with float32 weights.</summary>
    public string Float32 { get; }

    /// <summary>The same weights stored as bfloat16 (config torch_dtype "bfloat16").</summary>
    public string Bfloat16 { get; }

    private string Root { get; }

    private readonly bool _keep;

    /// <summary>DeepSeek-V3's chat template, as committed for the chat-template reference tests.</summary>
    public static string ChatTemplateText { get; } = File.ReadAllText(Path.Combine(
        ReferenceTokenizers.FixturesDirectory, "..", "..", "..", "TestTimeScaling.Tests", "ChatTemplates", "Fixtures", "templates", "deepseek_v3.jinja"));

    private static void WriteTokenizerFiles(string directory)
    {
        string source = ReferenceTokenizers.Directory("deepseek_v3")
            ?? throw new InvalidOperationException("The committed deepseek_v3.tokenizer.json.gz fixture is missing.");
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(directory, "tokenizer.json"), overwrite: true);

        // The keys of DeepSeek-V3's own tokenizer_config.json that matter here; tokens as AddedToken objects, as transformers writes them.
        static JsonObject Token(string content) => new()
        {
            ["__type"] = "AddedToken",
            ["content"] = content,
            ["lstrip"] = false,
            ["normalized"] = true,
            ["rstrip"] = false,
            ["single_word"] = false,
        };
        var tokenizerConfig = new JsonObject
        {
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["bos_token"] = Token(Bos),
            ["eos_token"] = Token(Eos),
            ["pad_token"] = Token(Eos),
            ["clean_up_tokenization_spaces"] = false,
            ["legacy"] = true,
            ["model_max_length"] = 16384,
            ["unk_token"] = null,
            ["tokenizer_class"] = "LlamaTokenizerFast",
            ["chat_template"] = ChatTemplateText,
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), tokenizerConfig.ToJsonString());
        var generationConfig = new JsonObject
        {
            ["_from_model_config"] = true,
            ["bos_token_id"] = 0,
            ["eos_token_id"] = 1,
            ["do_sample"] = true,
            ["temperature"] = 0.6,
            ["top_p"] = 0.95,
        };
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), generationConfig.ToJsonString());
    }

    public void Dispose()
    {
        Original.Dispose();
        if (_keep) return;
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
