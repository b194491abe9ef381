using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// End to end on a realistic model directory (<see cref="RealisticModelDirectory"/>): a real 128k-token tokenizer
/// with its special tokens and chat template, a GQA network padded to the real vocab_size, saved by the library
/// and loaded back through every validation <see cref="LanguageModel.Load"/> does.
/// </summary>
public sealed class RealisticModelTests(RealisticModelDirectory model) : IClassFixture<RealisticModelDirectory>
{
    private static readonly ChatTemplateMessage[] Conversation =
    [
        ChatTemplateMessage.System("You are a careful assistant."),
        ChatTemplateMessage.User("What is 17 + 25? Answer in one line."),
    ];

    private const string RenderedPrompt =
        RealisticModelDirectory.Bos + "You are a careful assistant.<｜User｜>What is 17 + 25? Answer in one line.<｜Assistant｜>";

    [Fact]
    public void LoadsWithTheRealTokenizerAndGivesTheSavedLogits()
    {
        using var loaded = LanguageModel.Load(model.Float32);

        Assert.Equal(RealisticModelDirectory.Config.VocabSize, loaded.Config.VocabSize);
        Assert.Equal(2, loaded.Config.NumKeyValueHeads);
        Assert.Equal(0, loaded.Tokenizer.BosTokenId);
        Assert.Equal([1], loaded.Tokenizer.EosTokenIds);
        Assert.Equal(1, loaded.Tokenizer.PadTokenId);
        Assert.True(loaded.Tokenizer.AddBosToken);
        Assert.Equal(128_815, loaded.Tokenizer.VocabSize);

        int[] ids = [.. loaded.Tokenizer.Encode(RenderedPrompt)];
        float[] before = Logits(model.Original, ids), after = Logits(loaded.Decoder, ids);
        Assert.Equal(ids.Length * RealisticModelDirectory.VocabSize, after.Length);
        Assert.Equal(before, after);
    }

    [Fact]
    public void TheChatTemplateRendersAndItsSpecialTokensEncodeAsSingleIds()
    {
        using var loaded = LanguageModel.Load(model.Float32);
        var tokenizer = loaded.Tokenizer;

        string prompt = tokenizer.ApplyChatTemplate(Conversation, addGenerationPrompt: true);
        string history = tokenizer.ApplyChatTemplate(Conversation, addGenerationPrompt: false);

        Assert.Equal(RenderedPrompt, prompt);
        Assert.Equal(RenderedPrompt[..^"<｜Assistant｜>".Length], history);
        int user = tokenizer.TokenToId("<｜User｜>")!.Value, assistant = tokenizer.TokenToId("<｜Assistant｜>")!.Value;
        Assert.Equal((128_803, 128_804), (user, assistant));
        var ids = tokenizer.Encode(prompt, addBos: false);
        Assert.Equal(0, ids[0]);
        Assert.Equal(assistant, ids[^1]);
        Assert.Single(ids, id => id == 0);
        Assert.Single(ids, id => id == user);
        Assert.Single(ids, id => id == assistant);
        // No piece of a special token's text leaks into ordinary tokens.
        Assert.DoesNotContain(ids.Where(id => id is not (0 or 128_803 or 128_804)), id => tokenizer.IdToToken(id)!.Contains('｜'));
        Assert.Equal(prompt, tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData("naïve café — 東京で寿司を食べた。👩‍👩‍👧‍👦 and 🇯🇵 ✔️ 𝟏𝟐𝟑 𠀋")]
    [InlineData("def f(x):\n    return x ** 2  # 平方\n\n\t你好，世界！🙂")]
    public void DecodeRoundTripsEmojiAndCjk(string text)
    {
        using var loaded = LanguageModel.Load(model.Float32);
        var ids = loaded.Tokenizer.Encode(text);

        Assert.Equal(text, loaded.Tokenizer.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, loaded.Tokenizer.VocabSize - 1));
        Assert.DoesNotContain('\uFFFD', loaded.Tokenizer.Decode(ids));
    }

    [Fact]
    public async Task GeneratesFromTheChatPromptReproduciblyUnderASeed()
    {
        using var loaded = LanguageModel.Load(model.Float32);
        string prompt = loaded.Tokenizer.ApplyChatTemplate(Conversation, addGenerationPrompt: true);
        // The template writes the BOS itself.
        using var engine = loaded.CreateSampler(new GenerationEngineOptions { AddBosToken = false });
        var request = new SampleRequest { Prompt = prompt, N = 4, Options = new SamplingOptions { MaxNewTokens = 8, Seed = 42, Temperature = 1.0 } };

        var first = await engine.SampleAsync(request);
        var second = await engine.SampleAsync(request);

        Assert.Equal(4, first.Completions.Count);
        Assert.Equal(loaded.Tokenizer.Encode(prompt).Count, first.Usage.PromptTokens);
        foreach (var c in first.Completions)
        {
            Assert.True(c.GeneratedTokens == 8 || c.FinishReason == FinishReason.Stop, $"{c.GeneratedTokens} tokens, {c.FinishReason}");
            Assert.All(c.TokenIds, id => Assert.InRange(id, 0, RealisticModelDirectory.VocabSize - 1));
            Assert.Equal(loaded.Tokenizer.Decode(c.TokenIds), c.Text);
        }
        // A random 129k-way model samples different rows apart: the four completions are not copies of one another.
        Assert.True(first.Completions.Select(c => string.Join(",", c.TokenIds)).Distinct().Count() > 1);
        Assert.Equal(first.Completions.Select(c => c.TokenIds), second.Completions.Select(c => c.TokenIds));

        var other = await engine.SampleAsync(request with { Options = request.Options with { Seed = 43 } });
        Assert.NotEqual(first.Completions.Select(c => c.TokenIds), other.Completions.Select(c => c.TokenIds));
    }

    [Fact]
    public void ABfloat16SaveLoadsToTheRoundedWeights()
    {
        using var loaded = LanguageModel.Load(model.Bfloat16);
        Assert.Equal(ScalarType.Float32, loaded.Decoder.DType);

        using (var scope = NewDisposeScope())
        {
            const string name = "model.layers.1.self_attn.k_proj.weight";
            var rounded = model.Original.StateDict()[name].to(ScalarType.BFloat16).to(ScalarType.Float32);
            Assert.Equal(0f, (rounded - loaded.Decoder.StateDict()[name]).abs().max().item<float>());
        }
        int[] ids = [.. loaded.Tokenizer.Encode(RenderedPrompt)];
        float[] exact = Logits(model.Original, ids), halved = Logits(loaded.Decoder, ids);
        double diff = exact.Zip(halved, (a, b) => Math.Abs(a - b)).Max();
        double scale = exact.Max(Math.Abs);
        // bf16 keeps about three significant digits: close to the fp32 logits, but not equal to them.
        Assert.InRange(diff, 1e-7, 0.05 * scale);
    }

    /// <summary>
    /// Real tokenizer.json files whose pre-tokenizer the exporter maps to a llama.cpp name: GPT-3.5's cl100k (the
    /// Llama 3 split pattern, "llama-bpe"), Qwen3's (each digit alone, "qwen2"), GPT-4o's o200k ("gpt-4o") and
    /// DeepSeek-V3's (digit and CJK runs split off first, "deepseek-v3"). llama.cpp is the independent check: the same
    /// ids for a text that exercises each pattern, and the same logits.
    /// </summary>
    [Theory]
    [InlineData("gpt35turbo", 100_352, 100_257, "<|endoftext|>", "llama-bpe", true)]
    [InlineData("qwen3", 151_680, 151_643, "<|endoftext|>", "qwen2", true)]
    // llama.cpp's gpt-4o splitter cuts Devanagari words at their vowel signs where o200k's pattern keeps them whole
    // (its deviation, listed in docs/model-support.md), so that case leaves marks out.
    [InlineData("gpt4o", 200_064, 199_999, "<|endoftext|>", "gpt-4o", false)]
    [InlineData("deepseek_v3", 129_280, 1, "<｜end▁of▁sentence｜>", "deepseek-v3", true)]
    public void WithARealTokenizerTheGgufExportRunsInLlamaCppWithTheSameIdsAndLogits(
        string fixture, int vocabSize, int eos, string eosText, string preTokenizer, bool withMarks)
    {
        string source = Tokenization.ReferenceTokenizers.Directory(fixture)
            ?? throw new InvalidOperationException($"The committed {fixture}.tokenizer.json.gz fixture is missing.");
        var config = RealisticModelDirectory.Config with { VocabSize = vocabSize, BosTokenId = null, EosTokenIds = [eos] };
        using var temp = new Loading.TempDirectory();
        using (var created = Support.TinyModels.Random(config, seed: 12))
            DecoderCheckpoint.Save(created, temp.Path);
        File.Copy(Path.Combine(source, "tokenizer.json"), temp.File("tokenizer.json"));
        using var loaded = LanguageModel.Load(temp.Path);
        string gguf = temp.File(fixture + "-shaped.gguf");
        GgufExporter.Export(loaded, gguf);

        // Digits in runs (split by one or by three), contractions on capitalized words, accents, CJK, Devanagari's vowel
        // signs (marks: inside a word for DeepSeek-V3, splitting it for the others), emoji, tabs. (No decomposed accents:
        // Qwen3's tokenizer.json composes them with its NFC normalizer, which llama.cpp does not apply.)
        string text = "Hello, world! 17 + 25 = 42; 1234567 THEY'RE camelCaseWords HTTPServer iPhone naïve café, 東京で寿司を食べた" + (withMarks ? " नमस्ते दुनिया" : "")
            + " 🙂\n\tdef f(x): return x ** 2 // n/2\n" + eosText;
        int[] ids = [.. loaded.Tokenizer.Encode(text)];
        Assert.Equal(eos, ids[^1]);
        using var llama = new Export.LlamaCppRunner(gguf, 96);
        Assert.Equal(preTokenizer, llama.Metadata("tokenizer.ggml.pre"));
        Assert.Equal(ids, llama.Tokenize(text));
        float[] ours = Logits(loaded.Decoder, ids);
        float[][] theirs = llama.Logits(ids);
        double diff = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            Assert.Equal(config.VocabSize, theirs[t].Length);
            for (int v = 0; v < config.VocabSize; v++) diff = Math.Max(diff, Math.Abs(ours[t * config.VocabSize + v] - theirs[t][v]));
        }
        Assert.True(diff < 1e-4, $"max |logit difference| {diff}");
    }

    private static float[] Logits(LlamaDecoder decoder, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return decoder.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0)).data<float>().ToArray();
    }
}
