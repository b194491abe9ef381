using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Reads and writes tensors in the Hugging Face safetensors format, as single files or as a directory of
/// shards with a <c>model.safetensors.index.json</c>. Files are read straight into tensor memory and every
/// header is validated; corrupt input raises <see cref="InvalidDataException"/> naming the file and tensor.
/// </summary>
/// <remarks>The caller owns (and should dispose) the tensors returned by the load methods.</remarks>
public static partial class Safetensors
{
    /// <summary>The single-file weights name in a model directory.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name in a model directory.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>Loads every tensor of one safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="dtype">The type floating-point tensors are converted to (bf16/fp16 become fp32 by default);
    /// null keeps the stored types. Integer and boolean tensors always keep theirs.</param>
    /// <param name="device">Where the tensors go; null means the CPU.</param>
    /// <returns>The tensors by name; the caller owns them.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype TorchSharp cannot represent (for example U16 or F8).</exception>
    public static Dictionary<string, Tensor> LoadFile(string path, ScalarType? dtype = ScalarType.Float32, Device? device = null)
        => SafetensorsReader.Read(path, dtype, device);

    /// <summary>
    /// Loads the weights of a model directory: <c>model.safetensors</c>, or else every shard named in
    /// <c>model.safetensors.index.json</c>.
    /// </summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="dtype">As for <see cref="LoadFile"/>.</param>
    /// <param name="device">As for <see cref="LoadFile"/>.</param>
    /// <returns>All tensors by name; the caller owns them.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither weights file exists, or a shard named in the index is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, the index and shards disagree, or a weights file
    /// resolves (through a symbolic link) outside the directory.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype TorchSharp cannot represent.</exception>
    public static Dictionary<string, Tensor> LoadDirectory(string directory, ScalarType? dtype = ScalarType.Float32, Device? device = null)
    {
        // Every header, the index and the shard paths are checked before any tensor data is read.
        IReadOnlyDictionary<string, CheckpointTensor> inventory = CheckpointInventory.Read(directory);
        List<string> files = inventory.Values.Select(t => t.File).Distinct(StringComparer.Ordinal).ToList();

        var result = new Dictionary<string, Tensor>(inventory.Count, StringComparer.Ordinal);
        try
        {
            foreach (string file in files)
                foreach (var (name, tensor) in LoadFile(file, dtype, device))
                    result.Add(name, tensor);
            return result;
        }
        catch
        {
            foreach (Tensor tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors to one safetensors file: deterministic (tensors ordered by element size, then name),
    /// header padded to 8 bytes, with <c>{"format": "pt"}</c> metadata so Hugging Face tools accept it.
    /// Each tensor is stored in its own dtype.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors by name (any device, any layout).</param>
    /// <param name="metadata">Extra <c>__metadata__</c> entries.</param>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor is disposed or has a dtype safetensors cannot store.</exception>
    public static void SaveFile(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SafetensorsWriter.Write(path, tensors, metadata);

    /// <summary>
    /// Writes the weights of a model directory: one <c>model.safetensors</c>, or, when the tensors exceed
    /// <paramref name="maxShardBytes"/>, shards <c>model-00001-of-0000N.safetensors</c> (filled in name order)
    /// plus <c>model.safetensors.index.json</c>. Weight files from an earlier save that the new layout does
    /// not use are removed, so the directory never holds two disagreeing copies.
    /// </summary>
    /// <param name="directory">The model directory (created if needed).</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="maxShardBytes">The largest shard, in tensor bytes; null for a single file. A tensor larger
    /// than this gets a shard of its own.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxShardBytes"/> is not positive.</exception>
    public static void SaveDirectory(string directory, IReadOnlyDictionary<string, Tensor> tensors, long? maxShardBytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        if (maxShardBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "The shard size must be positive.");
        Directory.CreateDirectory(directory);

        var sizes = tensors.ToDictionary(p => p.Key, p => SafetensorsWriter.ByteLength(p.Key, p.Value), StringComparer.Ordinal);
        long total = sizes.Values.Sum();
        List<List<string>> shards = maxShardBytes is { } max && total > max ? Pack(sizes, max) : [sizes.Keys.ToList()];

        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count == 1)
        {
            SaveFile(Path.Combine(directory, SingleFileName), tensors);
            written.Add(SingleFileName);
        }
        else
        {
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < shards.Count; i++)
            {
                string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SaveFile(Path.Combine(directory, file), shards[i].ToDictionary(n => n, n => tensors[n], StringComparer.Ordinal));
                foreach (string name in shards[i]) weightMap[name] = file;
                written.Add(file);
            }
            SafetensorsIndex.Write(Path.Combine(directory, IndexFileName), weightMap, total);
            written.Add(IndexFileName);
        }
        RemoveStaleWeights(directory, written);
    }

    // Greedy, in name order: layers stay together and the split is reproducible.
    private static List<List<string>> Pack(Dictionary<string, long> sizes, long maxShardBytes)
    {
        var shards = new List<List<string>>();
        var current = new List<string>();
        long currentBytes = 0;
        foreach (string name in sizes.Keys.Order(StringComparer.Ordinal))
        {
            if (current.Count > 0 && currentBytes + sizes[name] > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(name);
            currentBytes += sizes[name];
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);
        return shards;
    }

    private static void RemoveStaleWeights(string directory, HashSet<string> keep)
    {
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            bool ours = name == SingleFileName || name == IndexFileName || ShardName().IsMatch(name);
            if (ours && !keep.Contains(name)) File.Delete(path);
        }
    }

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$", RegexOptions.CultureInvariant)]
    private static partial Regex ShardName();
}
