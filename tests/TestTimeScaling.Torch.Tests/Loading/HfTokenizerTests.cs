using TestTimeScaling.Torch;
using System.Text.Json.Nodes;
using static TestTimeScaling.Torch.Tests.Loading.TokenizerFiles;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary><see cref="HfTokenizer"/> on small hand-made tokenizers: semantics, config files and errors.</summary>
public sealed class HfTokenizerTests
{
    private static HfTokenizer LoadTiny(TempDirectory dir, JsonObject tokenizer)
    {
        Write(dir.Path, "tokenizer.json", tokenizer);
        return HfTokenizer.Load(dir.Path);
    }

    [Fact]
    public void SplitPatternKeepsTheTextBetweenMatches()
    {
        using var dir = new TempDirectory();
        // The pattern only matches digits; "ab" between matches must still be encoded, as HF's Isolated split does.
        var tokenizer = LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d")));

        Assert.Equal([3, 5, 6, 3], tokenizer.Encode("ab12ab"));
        Assert.Equal("ab12ab", tokenizer.Decode([3, 5, 6, 3]));
    }

    [Fact]
    public void MergesApplyUnlessIgnoreMergesFindsTheWholePiece()
    {
        using var dir = new TempDirectory();
        Assert.Equal([3, 2], LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d"))).Encode("abc"));
        Assert.Equal([4], LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d"), ignoreMerges: true)).Encode("abc"));
    }

    [Fact]
    public void AddPrefixSpacePutsASpaceBeforeText()
    {
        using var dir = new TempDirectory();
        var tokenizer = LoadTiny(dir, Tiny(ByteLevel(addPrefixSpace: true, useRegex: false)));

        Assert.Equal([7, 3], tokenizer.Encode("ab"));
        Assert.Equal([7, 3], tokenizer.Encode(" ab"));
        Assert.Equal(" ab", tokenizer.Decode([7, 3]));
    }

    [Fact]
    public void AddedTokensSpecialOrNot()
    {
        using var dir = new TempDirectory();
        var tokenizer = LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d")));

        var ids = tokenizer.Encode("<s>ab<tool>1</s>");

        Assert.Equal([8, 3, 10, 5, 9], ids);
        Assert.Equal("<s>ab<tool>1</s>", tokenizer.Decode(ids));
        Assert.Equal("ab<tool>1", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecialToken(8));
        Assert.False(tokenizer.IsSpecialToken(10));
        Assert.Equal(["<s>", "</s>"], tokenizer.SpecialTokens);
        Assert.Equal(11, tokenizer.VocabSize);
        Assert.Equal(10, tokenizer.TokenToId("<tool>"));
        Assert.Equal("<tool>", tokenizer.IdToToken(10));
    }

    [Fact]
    public void ConfigFilesGiveBosEosPadAndTemplate()
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer_config.json", new JsonObject
        {
            // transformers writes tokens either as text or as AddedToken objects.
            ["bos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<s>", ["lstrip"] = false },
            ["eos_token"] = "</s>",
            ["add_bos_token"] = true,
            ["chat_template"] = "{{ messages }}",
        });
        Write(dir.Path, "generation_config.json", new JsonObject { ["eos_token_id"] = new JsonArray(9, 10), ["pad_token_id"] = 9 });
        var tokenizer = LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d")));

        Assert.Equal(8, tokenizer.BosTokenId);
        Assert.True(tokenizer.AddBosToken);
        Assert.Equal([9, 10], tokenizer.EosTokenIds);
        Assert.Equal(9, tokenizer.PadTokenId);
        Assert.Equal("{{ messages }}", tokenizer.ChatTemplate);
        Assert.Equal([8, 3], tokenizer.Encode("ab", addBos: true));
        Assert.Equal([3], tokenizer.Encode("ab"));
    }

    [Fact]
    public void TemplatePrefixTokenIsTheBos()
    {
        using var dir = new TempDirectory();
        // Llama 3's layout: no add_bos_token, the post-processor template starts with the BOS.
        var template = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(
                ByteLevel(addPrefixSpace: true, useRegex: true),
                new JsonObject
                {
                    ["type"] = "TemplateProcessing",
                    ["single"] = new JsonArray(
                        new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    ["special_tokens"] = new JsonObject
                    {
                        ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(8), ["tokens"] = new JsonArray("<s>") },
                    },
                }),
        };
        var tokenizer = LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d"), postProcessor: template));

        Assert.Equal(8, tokenizer.BosTokenId);
        Assert.True(tokenizer.AddBosToken);
        Assert.Empty(tokenizer.EosTokenIds);
    }

    [Fact]
    public void NfcNormalizerComposesBeforeEncoding()
    {
        using var dir = new TempDirectory();
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelAlphabet.Symbols[b], b => b);
        HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [], [], null, null, null);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("tokenizer.json")))!.AsObject();
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        var tokenizer = LoadTiny(dir, json);

        Assert.Equal(tokenizer.Encode("caf\u00e9"), tokenizer.Encode("cafe\u0301"));
    }

    [Fact]
    public void WrittenTokenizerRoundTrips()
    {
        using var dir = new TempDirectory();
        // The 256 byte symbols (ids 0-255), then "12" and "123" built by two merges.
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelAlphabet.Symbols[b], b => b);
        vocab["12"] = 256;
        vocab["123"] = 257;
        HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [("1", "2"), ("12", "3")], ["<eos>", "<pad>"], bos: null, eos: "<eos>", pad: "<pad>");

        var tokenizer = HfTokenizer.Load(dir.Path);

        Assert.Equal([257, '+', 256, 258], tokenizer.Encode("123+12<eos>"));
        Assert.Equal(260, tokenizer.VocabSize);
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal([258], tokenizer.EosTokenIds);
        Assert.Equal(259, tokenizer.PadTokenId);
        const string text = "héllo wörld ✓ 😀\n\t 12 + 123 = 135<pad>";
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        var merges = JsonNode.Parse(File.ReadAllText(dir.File("tokenizer.json")))!["model"]!["merges"]!.AsArray();
        Assert.Equal(["1 2", "12 3"], merges.Select(m => m!.GetValue<string>()));
    }

    [Fact]
    public void SpecialTokenAlreadyInTheVocabularyKeepsItsId()
    {
        using var dir = new TempDirectory();
        // GPT-2's real layout: <|endoftext|> is both a vocabulary entry and an added token.
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelAlphabet.Symbols[b], b => b);
        vocab["<eos>"] = 256;
        HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [], ["<pad>", "<eos>"], bos: null, eos: "<eos>", pad: "<pad>");

        var tokenizer = HfTokenizer.Load(dir.Path);

        Assert.Equal(256, tokenizer.TokenToId("<eos>"));
        Assert.Equal(257, tokenizer.TokenToId("<pad>"));
        Assert.Equal(['a', 256, 257], tokenizer.Encode("a<eos><pad>"));
        Assert.Equal("a<eos><pad>", tokenizer.Decode(['a', 256, 257]));
        Assert.Equal("a", tokenizer.Decode(['a', 256, 257], skipSpecialTokens: true));
        Assert.Equal(258, tokenizer.VocabSize);
    }

    [Fact]
    public void PartialByteAlphabetRejectsTextItCannotEncode()
    {
        using var dir = new TempDirectory();
        // Digits, '+' and newline only, as a tiny arithmetic model might use.
        var vocab = "0123456789+".Select((c, i) => (Token: c.ToString(), Id: i)).ToDictionary(t => t.Token, t => t.Id);
        vocab[ByteLevelAlphabet.Encode("\n")] = vocab.Count;
        HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [], [], null, null, null, splitRegex: @"\d|\D+");
        var tokenizer = HfTokenizer.Load(dir.Path);

        Assert.Equal([1, 10, 2, 11], tokenizer.Encode("1+2\n"));
        Assert.Equal("1+2\n", tokenizer.Decode([1, 10, 2, 11]));
        var ex = Assert.Throws<ArgumentException>(() => tokenizer.Encode("1+a"));
        Assert.Contains("0x61", ex.Message);
    }

    [Fact]
    public void DecodeRejectsNegativeIdsAndSkipsUnknownOnes()
    {
        using var dir = new TempDirectory();
        var tokenizer = LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d")));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([3, -1]));
        Assert.Equal("abab", tokenizer.Decode([3, 999, 3]));
    }

    [Fact]
    public void MissingTokenizerFile()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<FileNotFoundException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Equal(dir.File("tokenizer.json"), ex.FileName);
        Assert.Throws<DirectoryNotFoundException>(() => HfTokenizer.Load(dir.File("missing")));
    }

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    [InlineData("WordLevel")]
    public void UnsupportedModelTypes(string type)
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer.json", new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = type, ["vocab"] = new JsonObject { ["[UNK]"] = 0 }, ["unk_token"] = "[UNK]" },
        });

        var ex = Assert.Throws<NotSupportedException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains(type, ex.Message);
    }

    [Theory]
    [InlineData("pre_tokenizer", "BertPreTokenizer")]
    [InlineData("pre_tokenizer", "CharDelimiterSplit")]
    [InlineData("normalizer", "BertNormalizer")]
    [InlineData("normalizer", "Precompiled")]
    [InlineData("normalizer", "StripAccents")]
    [InlineData("decoder", "WordPiece")]
    [InlineData("decoder", "CTC")]
    [InlineData("post_processor", "RobertaProcessing")]
    [InlineData("post_processor", "BertProcessing")]
    public void UnsupportedComponentsAreRefusedByName(string component, string type)
    {
        using var dir = new TempDirectory();
        var json = Tiny(SplitThenByteLevel(@"\d"));
        json[component] = new JsonObject { ["type"] = type };

        var ex = Assert.Throws<NotSupportedException>(() => LoadTiny(dir, json));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains($"{component} type \"{type}\" is not supported", ex.Message);
    }

    [Fact]
    public void UnsupportedSettingsAreRefusedByName()
    {
        using var dir = new TempDirectory();
        var dropout = Tiny(SplitThenByteLevel(@"\d"));
        dropout["model"]!["dropout"] = 0.1;
        Assert.Contains("dropout", Assert.Throws<NotSupportedException>(() => LoadTiny(dir, dropout)).Message);

        var truncation = Tiny(SplitThenByteLevel(@"\d"));
        truncation["truncation"] = new JsonObject { ["max_length"] = 8 };
        Assert.Contains("truncation", Assert.Throws<NotSupportedException>(() => LoadTiny(dir, truncation)).Message);

        var backReference = Tiny(SplitThenByteLevel(@"(a)\1"));
        Assert.Contains("back reference", Assert.Throws<NotSupportedException>(() => LoadTiny(dir, backReference)).Message);

        var script = Tiny(SplitThenByteLevel(@"\p{Greek}+"));
        Assert.Contains("Greek", Assert.Throws<NotSupportedException>(() => LoadTiny(dir, script)).Message);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("[1, 2, 3]")]
    [InlineData("""{"model": {"type": "BPE", "vocab": ["a", "b"], "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}""")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}, "pre_tokenizer": {"type": "ByteLevel"}}""")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}, "pre_tokenizer": {"type": "ByteLevel"}}""")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}, "added_tokens": [{"content": "x"}]}""")]
    public void MalformedTokenizerFiles(string json)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), json);

        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
    }

    [Fact]
    public void ConfigTokenNotInTheVocabulary()
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer_config.json", new JsonObject { ["eos_token"] = "<|im_end|>" });

        var ex = Assert.Throws<InvalidDataException>(() => LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d"))));
        Assert.Contains("tokenizer_config.json", ex.Message);
        Assert.Contains("<|im_end|>", ex.Message);
    }

    [Fact]
    public void MalformedGenerationConfig()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("generation_config.json"), """{"eos_token_id": "two"}""");

        var ex = Assert.Throws<InvalidDataException>(() => LoadTiny(dir, Tiny(SplitThenByteLevel(@"\d"))));
        Assert.Contains("generation_config.json", ex.Message);
    }

    [Fact]
    public void WriterRejectsInconsistentInput()
    {
        using var dir = new TempDirectory();
        var vocab = new Dictionary<string, int> { ["a"] = 0, ["b"] = 1 };

        Assert.Equal("vocab", Assert.Throws<ArgumentException>(() =>
            HfTokenizer.WriteByteLevelBpe(dir.Path, new Dictionary<string, int> { [" "] = 0 }, [], [], null, null, null)).ParamName);
        Assert.Equal("vocab", Assert.Throws<ArgumentException>(() =>
            HfTokenizer.WriteByteLevelBpe(dir.Path, new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 }, [], [], null, null, null)).ParamName);
        Assert.Equal("merges", Assert.Throws<ArgumentException>(() =>
            HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [("a", "b")], [], null, null, null)).ParamName);
        Assert.Equal("eos", Assert.Throws<ArgumentException>(() =>
            HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [], ["<s>"], "<s>", "</s>", null)).ParamName);
        Assert.Equal("splitRegex", Assert.Throws<ArgumentException>(() =>
            HfTokenizer.WriteByteLevelBpe(dir.Path, vocab, [], [], null, null, null, splitRegex: "(unclosed")).ParamName);
        Assert.False(File.Exists(dir.File("tokenizer.json")));
    }
}
