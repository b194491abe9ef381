using System.Text;
using System.Text.Json.Nodes;
using TestTimeScaling.Torch.Tests.Loading;
using static TestTimeScaling.Torch.Tests.Loading.TokenizerFiles;

namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>
/// Seeded mutations of tokenizer.json, tokenizer_config.json and generation_config.json (wrong types, nulls,
/// deleted and duplicated keys, duplicated entries, out-of-range numbers, broken bytes, truncation): loading
/// either succeeds or throws <see cref="InvalidDataException"/> / <see cref="NotSupportedException"/>, and a
/// tokenizer that loads encodes and decodes without any other exception. TTS_LONG=1 runs 20 times as many.
/// </summary>
public sealed class TokenizerFileFuzzTests
{
    private static readonly int CasesPerKind = Environment.GetEnvironmentVariable("TTS_LONG") == "1" ? 6000 : 300;

    private static JsonObject BaseTokenizer()
    {
        var json = Tiny(new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = @"\p{N}{1,3}|[^\s\p{L}\p{N}]+" }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                ByteLevel(addPrefixSpace: false, useRegex: false)),
        }, normalizer: new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "NFC" },
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\t" }, ["content"] = " " }),
        }, postProcessor: JsonNode.Parse("""
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [8], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [9], "tokens": ["</s>"]}}}
            """));
        json["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = new JsonArray(new JsonObject { ["type"] = "ByteLevel" }) };
        json["model"]!["unk_token"] = "c";
        json["model"]!["byte_fallback"] = false;
        return json;
    }

    private static JsonObject BaseTokenizerConfig() => JsonNode.Parse("""
        {"add_bos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false}, "pad_token": null,
         "chat_template": [{"name": "default", "template": "{{ messages }}"}],
         "added_tokens_decoder": {"8": {"content": "<s>", "special": true}, "9": {"content": "</s>", "special": true}}}
        """)!.AsObject();

    private static JsonObject BaseGenerationConfig() => JsonNode.Parse("""{"bos_token_id": 8, "eos_token_id": [9, 8], "pad_token_id": 10}""")!.AsObject();

    public static TheoryData<string> Kinds => new(["tokenizer.json", "tokenizer_config.json", "generation_config.json"]);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MutatedFilesLoadOrAreRefusedByName(string kind)
    {
        using var dir = new TempDirectory();
        var loaded = 0;
        for (int seed = 0; seed < CasesPerKind; seed++)
        {
            var random = new Random(seed * 7919 + kind.Length);
            Write(dir.Path, "tokenizer.json", BaseTokenizer());
            Write(dir.Path, "tokenizer_config.json", BaseTokenizerConfig());
            Write(dir.Path, "generation_config.json", BaseGenerationConfig());
            JsonObject target = kind switch
            {
                "tokenizer.json" => BaseTokenizer(),
                "tokenizer_config.json" => BaseTokenizerConfig(),
                _ => BaseGenerationConfig(),
            };
            byte[] bytes = Mutate(target, random);
            File.WriteAllBytes(dir.File(kind), bytes);

            HfTokenizer tokenizer;
            try
            {
                tokenizer = HfTokenizer.Load(dir.Path);
            }
            catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
            {
                Assert.True(ex.Message.Contains(kind) || (kind != "tokenizer.json" && ex.Message.Contains("tokenizer.json")),
                    $"seed {seed}: the message does not name the file: {ex.Message}");
                continue;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed} ({kind}): {ex.GetType().Name}: {ex.Message}\n{Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 2000)]}");
                return;
            }
            loaded++;
            Exercise(tokenizer, seed, kind, random);
        }
        // The mutations leave some files valid: those paths are exercised too.
        Assert.InRange(loaded, 1, CasesPerKind - 1);
    }

    private static void Exercise(HfTokenizer tokenizer, int seed, string kind, Random random)
    {
        try
        {
            tokenizer.EnsureIdsBelow(tokenizer.VocabSize, "config.json");
        }
        catch (InvalidDataException)
        {
            // Config ids beyond the tokenizer's own ids: refused, as documented.
        }
        foreach (string text in new[] { "ab12 <s>x</s>", "abc\t1 2", "", "😀é\u0301", "\uD800x" })
        {
            try
            {
                var ids = tokenizer.EncodeWithSpecialTokens(text);
                _ = tokenizer.Decode(ids);
                _ = tokenizer.Decode(ids, skipSpecialTokens: true);
            }
            catch (ArgumentException)
            {
                // A character the mutated vocabulary cannot represent: documented on Encode.
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed} ({kind}) encoding {text}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        _ = tokenizer.Decode([random.Next(0, 20), random.Next(0, 20), int.MaxValue]);
    }

    private static readonly Func<Random, JsonNode?>[] Values =
    [
        _ => null,
        _ => -1,
        _ => 0,
        _ => 2147483648L,
        _ => 1_000_000,
        _ => 1.5,
        _ => "",
        _ => "x",
        _ => "\uD800",
        _ => "(",
        _ => true,
        _ => new JsonArray(),
        _ => new JsonObject(),
        _ => new JsonArray((JsonNode?)null),
        _ => new JsonObject { ["type"] = "Sequence" },
        _ => new JsonObject { ["type"] = "Unknown" },
        r => new string('a', r.Next(1, 5000)),
    ];

    private static byte[] Mutate(JsonObject root, Random random)
    {
        int operations = random.Next(1, 4);
        string? text = null;
        for (int i = 0; i < operations; i++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            JsonNode node = nodes[random.Next(nodes.Count)];
            switch (random.Next(6))
            {
                case 0 or 1 when node.Parent is not null:
                    Replace(node, Values[random.Next(Values.Length)](random));
                    break;
                case 2 when node.Parent is JsonObject parent:
                    parent.Remove(node.GetPropertyName());
                    break;
                case 3 when node.Parent is JsonArray array:
                    array.Add(node.DeepClone());
                    break;
                case 4 when node is JsonValue value && value.TryGetValue(out int number):
                    Replace(node, number + random.Next(-2, 3) * (random.Next(2) == 0 ? 1 : 1_000_000));
                    break;
                default:
                    text = DuplicateKey(root, random);
                    break;
            }
        }
        byte[] bytes = Encoding.UTF8.GetBytes(text ?? root.ToJsonString());
        if (random.Next(5) == 0 && bytes.Length > 0)
        {
            int at = random.Next(bytes.Length);
            bytes = random.Next(3) switch
            {
                0 => bytes[..at],
                1 => [.. bytes[..at], 0xFF, .. bytes[at..]],
                _ => [.. bytes[..at], (byte)random.Next(256), .. bytes[(at + 1)..]],
            };
        }
        return bytes;
    }

    private static void Replace(JsonNode node, JsonNode? value)
    {
        switch (node.Parent)
        {
            case JsonObject obj: obj[node.GetPropertyName()] = value; break;
            case JsonArray array: array[node.GetElementIndex()] = value; break;
        }
    }

    // The whole document as text with one object's first key written twice.
    private static string DuplicateKey(JsonObject root, Random random)
    {
        var objects = new List<JsonNode>();
        Collect(root, objects);
        var candidates = objects.OfType<JsonObject>().Where(o => o.Count > 0).ToList();
        JsonObject target = candidates[random.Next(candidates.Count)];
        var (name, value) = target.First();
        string marker = "\"__dup_marker__\"";
        target["__dup_marker__"] = 0;
        string text = root.ToJsonString();
        target.Remove("__dup_marker__");
        string duplicate = System.Text.Json.JsonSerializer.Serialize(name) + ":" + (value?.ToJsonString() ?? "null");
        return text.Replace(marker + ":0", duplicate);
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null) return;
        into.Add(node);
        switch (node)
        {
            case JsonObject obj: foreach (var (_, child) in obj) Collect(child, into); break;
            case JsonArray array: foreach (JsonNode? child in array) Collect(child, into); break;
        }
    }
}
