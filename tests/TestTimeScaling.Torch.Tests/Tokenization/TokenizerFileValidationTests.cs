using System.Text;
using System.Text.Json.Nodes;
using TestTimeScaling.Torch.Tests.Loading;
using static TestTimeScaling.Torch.Tests.Loading.TokenizerFiles;

namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>
/// Malformed tokenizer.json, tokenizer_config.json and generation_config.json are refused with an
/// <see cref="InvalidDataException"/> naming the file and the key; token ids are checked against vocab_size.
/// </summary>
public sealed class TokenizerFileValidationTests
{
    private const string Model = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}";

    [Theory]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""", "model")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "a": 1}, "merges": []}}""", "a")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}""", "id 0")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}}""", "model.vocab")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 2147483648}, "merges": []}}""", "model.vocab")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [null]}}""", "model.merges[0]")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}}""", "\"c\"")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}""", "\"ab\"")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", null]]}}""", "model.merges[0][1]")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"\ud800": 0}, "merges": []}}""", "surrogate")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}}""", "unk_token")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"}}""", "model.byte_fallback")]
    [InlineData("""{"model": {"type": 5, "vocab": {}}}""", "model.type")]
    [InlineData("""{"model": []}""", "model")]
    [InlineData("""{"added_tokens": [null], MODEL}""", "added_tokens[0]")]
    [InlineData("""{"added_tokens": [{"id": -1, "content": "x"}], MODEL}""", "added_tokens[0].id")]
    [InlineData("""{"added_tokens": [{"id": 5, "content": 7}], MODEL}""", "added_tokens[0].content")]
    [InlineData("""{"added_tokens": [{"id": 5, "content": "x"}, {"id": 5, "content": "y"}], MODEL}""", "id 5")]
    [InlineData("""{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [null]}, MODEL}""", "pretokenizers[0]")]
    [InlineData("""{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "("}, "behavior": "Isolated"}, MODEL}""", "pattern")]
    [InlineData("""{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a", "String": "a"}, "behavior": "Isolated"}, MODEL}""", "pattern")]
    [InlineData("""{"pre_tokenizer": {"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"}, MODEL}""", "behavior")]
    [InlineData("""{"pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}, MODEL}""", "replacement")]
    [InlineData("""{"normalizer": {"type": "Replace", "pattern": {"String": "a"}}, MODEL}""", "content")]
    [InlineData("""{"decoder": {"type": "Strip", "content": "", "start": 1}, MODEL}""", "content")]
    [InlineData("""{"decoder": {"type": "Strip", "content": " ", "start": -1}, MODEL}""", "start")]
    [InlineData("""{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}], "special_tokens": {}}, MODEL}""", "<s>")]
    [InlineData("""{"post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}], "special_tokens": {"x": {"ids": [null]}}}, MODEL}""", "")]
    public void MalformedTokenizerJson(string json, string named)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), json.Replace("MODEL", Model));
        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void DeepNestingIsInvalidData()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), "{\"x\": " + new string('[', 5000) + new string(']', 5000) + "}");
        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
    }

    [Fact]
    public void InvalidUtf8IsInvalidData()
    {
        using var dir = new TempDirectory();
        byte[] json = Encoding.UTF8.GetBytes("{" + Model.Replace("\"ab\"", "\"a\u00FFb\"") + "}");
        int at = Array.IndexOf(json, (byte)0xC3);
        json[at] = 0xFF; // a byte that never occurs in UTF-8
        File.WriteAllBytes(dir.File("tokenizer.json"), json);
        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
    }

    [Theory]
    [InlineData("tokenizer_config.json", """{"bos_token": "<s>", "bos_token": "</s>"}""", "bos_token")]
    [InlineData("tokenizer_config.json", """{"bos_token": 1}""", "bos_token")]
    [InlineData("tokenizer_config.json", """{"eos_token": {"lstrip": false}}""", "content")]
    [InlineData("tokenizer_config.json", """{"add_bos_token": "yes"}""", "add_bos_token")]
    [InlineData("tokenizer_config.json", """{"chat_template": 3}""", "chat_template")]
    [InlineData("tokenizer_config.json", """{"chat_template": [null]}""", "chat_template[0]")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"x": {"content": "a"}}}""", "added_tokens_decoder")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"-1": {"content": "a"}}}""", "added_tokens_decoder")]
    [InlineData("tokenizer_config.json", """{"added_tokens_decoder": {"5": null}}""", "added_tokens_decoder")]
    [InlineData("tokenizer_config.json", """[1]""", "root")]
    [InlineData("generation_config.json", """{"eos_token_id": [1, null]}""", "eos_token_id[1]")]
    [InlineData("generation_config.json", """{"eos_token_id": "2"}""", "eos_token_id")]
    [InlineData("generation_config.json", """{"bos_token_id": -1}""", "bos_token_id")]
    [InlineData("generation_config.json", """{"pad_token_id": 1.5}""", "pad_token_id")]
    [InlineData("generation_config.json", """{"eos_token_id": 1, "eos_token_id": 2}""", "eos_token_id")]
    [InlineData("generation_config.json", """{"eos_token_id": 1""", "")]
    public void MalformedConfigFiles(string file, string json, string named)
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer.json", Tiny(SplitThenByteLevel(@"\d")));
        File.WriteAllText(dir.File(file), json);
        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains(file, ex.Message);
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void IdsAreCheckedAgainstVocabSize()
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer.json", Tiny(SplitThenByteLevel(@"\d")));
        // Ids 0-10: vocabulary 0-7, added tokens 8-10.
        HfTokenizer.Load(dir.Path).EnsureIdsBelow(11, "config.json");
        var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path).EnsureIdsBelow(10, "config.json"));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains("10", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path).EnsureIdsBelow(5, "config.json"));
        Assert.Contains("model.vocab", ex.Message);

        File.WriteAllText(dir.File("generation_config.json"), """{"eos_token_id": [9, 50]}""");
        ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path).EnsureIdsBelow(11, "config.json"));
        Assert.Contains("generation_config.json", ex.Message);
        Assert.Contains("50", ex.Message);
        Assert.Contains("config.json", ex.Message);
        File.Delete(dir.File("generation_config.json"));

        File.WriteAllText(dir.File("tokenizer_config.json"), """{"added_tokens_decoder": {"40": {"content": "<x>"}}}""");
        ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(dir.Path).EnsureIdsBelow(11, "config.json"));
        Assert.Contains("tokenizer_config.json", ex.Message);
        Assert.Contains("40", ex.Message);
    }

    [Fact]
    public void TemplateIdsAreCheckedToo()
    {
        using var dir = new TempDirectory();
        var json = Tiny(SplitThenByteLevel(@"\d"), postProcessor: JsonNode.Parse("""
            {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}],
             "special_tokens": {"</s>": {"id": "</s>", "ids": [99], "tokens": ["</s>"]}}}
            """));
        Write(dir.Path, "tokenizer.json", json);
        var tokenizer = HfTokenizer.Load(dir.Path);
        Assert.Equal([3, 99], tokenizer.EncodeWithSpecialTokens("ab"));
        var ex = Assert.Throws<InvalidDataException>(() => tokenizer.EnsureIdsBelow(11, "config.json"));
        Assert.Contains("post_processor", ex.Message);
        Assert.Contains("99", ex.Message);
    }
}
