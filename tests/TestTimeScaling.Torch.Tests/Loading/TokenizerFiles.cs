using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>Hand-written tokenizer.json documents for tests, in the shapes Hugging Face writes.</summary>
internal static class TokenizerFiles
{
    /// <summary>
    /// A tiny byte-level BPE: vocab a, b, c, ab, abc, 1, 2, Ġ; merges as [left, right] pairs; added tokens
    /// &lt;s&gt; (8), &lt;/s&gt; (9) special and &lt;tool&gt; (10) not special.
    /// </summary>
    public static JsonObject Tiny(JsonNode? preTokenizer, bool ignoreMerges = false, JsonNode? postProcessor = null, JsonNode? normalizer = null) => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new JsonArray(
            AddedToken(8, "<s>", special: true),
            AddedToken(9, "</s>", special: true),
            AddedToken(10, "<tool>", special: false)),
        ["normalizer"] = normalizer,
        ["pre_tokenizer"] = preTokenizer,
        ["post_processor"] = postProcessor,
        ["decoder"] = ByteLevel(addPrefixSpace: true, useRegex: true),
        ["model"] = new JsonObject
        {
            ["type"] = "BPE",
            ["ignore_merges"] = ignoreMerges,
            ["vocab"] = new JsonObject { ["a"] = 0, ["b"] = 1, ["c"] = 2, ["ab"] = 3, ["abc"] = 4, ["1"] = 5, ["2"] = 6, ["Ġ"] = 7 },
            ["merges"] = new JsonArray(new JsonArray("a", "b")),
        },
    };

    public static JsonObject ByteLevel(bool addPrefixSpace, bool useRegex) => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = addPrefixSpace,
        ["trim_offsets"] = true,
        ["use_regex"] = useRegex,
    };

    public static JsonObject SplitThenByteLevel(string regex) => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "Split",
                ["pattern"] = new JsonObject { ["Regex"] = regex },
                ["behavior"] = "Isolated",
                ["invert"] = false,
            },
            ByteLevel(addPrefixSpace: false, useRegex: false)),
    };

    public static JsonObject AddedToken(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = special,
    };

    public static void Write(string directory, string fileName, JsonNode json)
        => File.WriteAllText(Path.Combine(directory, fileName), json.ToJsonString());
}
