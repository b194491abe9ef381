using System.Text.Json.Nodes;
using TestTimeScaling.Torch.Tests.Support;

namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>
/// The valid model directories fuzz cases start from: the tests' tiny Llama with a byte-level BPE tokenizer
/// (the 256 byte symbols, two merges, BOS/EOS/PAD specials) and a generation_config.json, as one safetensors
/// file or as three shards with an index.
/// </summary>
internal static class FuzzBaseModel
{
    public const int VocabSize = 262;

    /// <summary>Writes a complete, loadable model directory.</summary>
    public static void Write(string directory, bool sharded)
    {
        Directory.CreateDirectory(directory);
        var config = TinyModels.Llama(vocab: VocabSize) with { BosTokenId = 258, EosTokenIds = [259], PadTokenId = 260 };
        using (var model = LlamaDecoder.Create(config, seed: 7))
        {
            // Shards of at most 60 KB split the ~150 KB of weights into several files.
            DecoderCheckpoint.Save(model, directory, sharded ? 60_000 : null);
        }

        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelAlphabet.Symbols[b], b => b);
        vocab["ab"] = 256;
        vocab["12"] = 257;
        HfTokenizer.WriteByteLevelBpe(directory, vocab, [("a", "b"), ("1", "2")], ["<s>", "</s>", "<pad>"],
            bos: "<s>", eos: "</s>", pad: "<pad>", addBosToken: true);

        var generation = new JsonObject
        {
            ["bos_token_id"] = 258,
            ["eos_token_id"] = new JsonArray(259),
            ["pad_token_id"] = 260,
            ["do_sample"] = true,
            ["temperature"] = 0.7,
            ["top_p"] = 0.9,
            ["transformers_version"] = "4.46.0",
        };
        File.WriteAllText(Path.Combine(directory, ModelDirectory.GenerationConfigFileName), generation.ToJsonString());
    }
}
