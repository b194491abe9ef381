namespace TestTimeScaling.Torch;

/// <summary>
/// Every tensor of a model directory's weights, found by reading the safetensors headers only (no tensor data),
/// after checking the shard index against the shards: the inventory the loader validates before it allocates.
/// </summary>
internal static class CheckpointInventory
{
    /// <summary>Reads the headers of <c>model.safetensors</c>, or of every shard named in the index.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">There are no weights, or a shard named in the index is missing.</exception>
    /// <exception cref="InvalidDataException">A header or the index is malformed, a file lies outside the directory,
    /// or the index and the shards disagree (a tensor in a shard the index does not place there, or the reverse).</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype TorchSharp cannot represent.</exception>
    public static IReadOnlyDictionary<string, CheckpointTensor> Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory not found: '{directory}'.");

        var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        string single = Path.Combine(directory, Safetensors.SingleFileName);
        if (File.Exists(single))
        {
            string file = ModelPaths.ResolveInside(directory, Safetensors.SingleFileName, directory);
            Add(tensors, file, SafetensorsHeader.ReadFile(file));
            return tensors;
        }

        string indexPath = Path.Combine(directory, Safetensors.IndexFileName);
        if (!File.Exists(indexPath))
            throw new FileNotFoundException(
                $"No safetensors weights in '{directory}': expected '{Safetensors.SingleFileName}' or '{Safetensors.IndexFileName}'.", single);

        SafetensorsIndex index = SafetensorsIndex.Read(indexPath);
        IReadOnlyList<string> shards = index.ShardFiles;
        // Every shard must exist and stay inside the directory before any header is read.
        var paths = new List<string>(shards.Count);
        foreach (string shard in shards)
        {
            string shardPath = Path.Combine(directory, shard);
            if (!File.Exists(shardPath)) throw new FileNotFoundException($"Shard '{shard}' named in '{indexPath}' is missing.", shardPath);
            paths.Add(ModelPaths.ResolveInside(directory, shard, indexPath));
        }

        for (int i = 0; i < shards.Count; i++)
        {
            SafetensorsHeader header = SafetensorsHeader.ReadFile(paths[i]);
            foreach (SafetensorsTensorInfo info in header.Tensors)
            {
                if (!index.WeightMap.TryGetValue(info.Name, out string? placed))
                    throw new InvalidDataException($"Shard '{shards[i]}' holds tensor '{info.Name}', which '{indexPath}' does not list.");
                if (placed != shards[i])
                    throw new InvalidDataException($"Shard '{shards[i]}' holds tensor '{info.Name}', which '{indexPath}' places in '{placed}'.");
                tensors.Add(info.Name, new CheckpointTensor(paths[i], header.DataStart, info));
            }
        }
        foreach (var (name, shard) in index.WeightMap)
        {
            if (!tensors.ContainsKey(name))
                throw new InvalidDataException($"'{indexPath}' places tensor '{name}' in '{shard}', but that shard does not contain it.");
        }
        return tensors;
    }

    private static void Add(Dictionary<string, CheckpointTensor> tensors, string file, SafetensorsHeader header)
    {
        foreach (SafetensorsTensorInfo info in header.Tensors) tensors.Add(info.Name, new CheckpointTensor(file, header.DataStart, info));
    }
}
