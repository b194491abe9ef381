using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>
/// Writes one fuzz case: a copy of a valid base model directory in which the file of one <see cref="FuzzKind"/>
/// is mutated, reproducibly from (kind, seed).
/// </summary>
internal sealed class FuzzCaseWriter(string singleBase, string shardedBase)
{
    /// <summary>The random source of a case: the same (kind, seed) always gives the same mutations.</summary>
    public static Random RandomFor(FuzzKind kind, int seed) => new(unchecked(seed * 7919 + (int)kind * 104_729 + 17));

    /// <summary>Creates <paramref name="directory"/> holding the case; returns a description of the mutations.</summary>
    public string Write(FuzzKind kind, int seed, string directory)
    {
        var random = RandomFor(kind, seed);
        CopyDirectory(kind == FuzzKind.ShardIndex ? shardedBase : singleBase, directory);
        return kind switch
        {
            FuzzKind.Safetensors => MutateSafetensors(Path.Combine(directory, Safetensors.SingleFileName), random),
            FuzzKind.ShardIndex => MutateIndex(directory, random),
            FuzzKind.Config => MutateJsonFile(Path.Combine(directory, ModelDirectory.ConfigFileName), random),
            FuzzKind.Tokenizer => MutateJsonFile(Path.Combine(directory, ModelDirectory.TokenizerFileName), random),
            FuzzKind.TokenizerConfig => MutateJsonFile(Path.Combine(directory, ModelDirectory.TokenizerConfigFileName), random),
            _ => MutateJsonFile(Path.Combine(directory, ModelDirectory.GenerationConfigFileName), random),
        };
    }

    private static string MutateJsonFile(string path, Random random)
    {
        // Mostly structure-aware edits; a fifth of the cases corrupt the bytes blindly.
        if (random.Next(5) == 0)
        {
            var (bytes, description) = ByteMutator.Mutate(File.ReadAllBytes(path), random);
            File.WriteAllBytes(path, bytes);
            return description;
        }
        var (json, what) = JsonMutator.Mutate(File.ReadAllText(path), random);
        File.WriteAllBytes(path, json);
        return what;
    }

    private static string MutateSafetensors(string path, Random random)
    {
        byte[] file = File.ReadAllBytes(path);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        byte[] data = file[(8 + headerLength)..];
        string header = Encoding.UTF8.GetString(file, 8, headerLength).TrimEnd(' ');
        int choice = random.Next(20);
        if (choice < 9)
        {
            // A JSON edit of the header, written with a correct length prefix.
            var (json, what) = JsonMutator.Mutate(header, random);
            File.WriteAllBytes(path, Assemble(json, data, null));
            return "header: " + what;
        }
        if (choice < 11)
        {
            // A JSON edit with the old length prefix kept: the prefix and the header disagree.
            var (json, what) = JsonMutator.Mutate(header, random);
            File.WriteAllBytes(path, Assemble(json, data, (ulong)headerLength));
            return "header (old length prefix): " + what;
        }
        if (choice < 13)
        {
            ulong[] lengths = [0, 1, 2, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)file.Length - 8, (ulong)file.Length,
                100_000_001, int.MaxValue, uint.MaxValue, long.MaxValue, ulong.MaxValue];
            ulong length = lengths[random.Next(lengths.Length)];
            BinaryPrimitives.WriteUInt64LittleEndian(file, length);
            File.WriteAllBytes(path, file);
            return $"length prefix = {length}";
        }
        if (choice < 15)
        {
            // A dtype swapped for another valid code: the sizes then disagree, or the weights are not floats.
            string[] codes = ["F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "F8_E4M3", "C64", "f32", "F32 "];
            string code = codes[random.Next(codes.Length)];
            var node = JsonNode.Parse(header)!.AsObject();
            var names = node.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
            string name = names[random.Next(names.Count)];
            node[name]!["dtype"] = code;
            File.WriteAllBytes(path, Assemble(Encoding.UTF8.GetBytes(node.ToJsonString()), data, null));
            return $"dtype of {name} = {code}";
        }
        // Blind byte edits: half in the header, half anywhere (the data area holds the weights themselves).
        var (bytes, description) = random.Next(2) == 0
            ? ByteMutator.Mutate(file, random, 0, 8 + headerLength)
            : ByteMutator.Mutate(file, random);
        File.WriteAllBytes(path, bytes);
        return "bytes: " + description;
    }

    private static byte[] Assemble(byte[] header, byte[] data, ulong? declaredLength)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    private string MutateIndex(string directory, Random random)
    {
        string path = Path.Combine(directory, Safetensors.IndexFileName);
        int choice = random.Next(10);
        if (choice < 2)
        {
            // Paths that leave the directory: relative, absolute, or a symbolic link to a shard outside it.
            var index = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var map = index["weight_map"]!.AsObject();
            string tensor = map.Select(p => p.Key).ElementAt(random.Next(map.Count));
            string shard = map[tensor]!.GetValue<string>();
            string target = random.Next(4) switch
            {
                0 => "../" + Path.GetFileName(shardedBase) + "/" + shard,
                1 => Path.Combine(shardedBase, shard),
                2 => "sub/../" + shard,
                _ => "escape.safetensors",
            };
            File.CreateSymbolicLink(Path.Combine(directory, "escape.safetensors"), Path.Combine(shardedBase, shard));
            // Move every tensor of that shard, so the linked file would otherwise be a complete, valid shard.
            foreach (var name in map.Where(p => p.Value!.GetValue<string>() == shard).Select(p => p.Key).ToList()) map[name] = target;
            File.WriteAllText(path, index.ToJsonString());
            return $"shards of '{shard}' moved to '{target}'";
        }
        if (choice < 3)
        {
            // Valid JSON, plausible names, wrong placement: a tensor sent to another existing shard.
            var index = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var map = index["weight_map"]!.AsObject();
            var shards = map.Select(p => p.Value!.GetValue<string>()).Distinct().ToList();
            string tensor = map.Select(p => p.Key).ElementAt(random.Next(map.Count));
            string other = shards[random.Next(shards.Count)];
            map[tensor] = other;
            File.WriteAllText(path, index.ToJsonString());
            return $"'{tensor}' placed in '{other}'";
        }
        return MutateJsonFile(path, random);
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
    }
}
