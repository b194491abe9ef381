namespace TestTimeScaling.Torch;

/// <summary>
/// The layout of a Hugging Face model directory, and a check that one is complete, so that loaders fail
/// early with a message naming what is missing rather than part-way through reading weights.
/// </summary>
public static class ModelDirectory
{
    /// <summary>The architecture file.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The tokenizer file.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>Special tokens and chat template (optional).</summary>
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>Generation defaults such as the end-of-sequence ids (optional).</summary>
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>
    /// Checks that <paramref name="directory"/> holds <c>config.json</c>, safetensors weights
    /// (<c>model.safetensors</c>, or an index whose shards all exist) and <c>tokenizer.json</c>.
    /// It does not parse the config or read the weights.
    /// </summary>
    /// <param name="directory">The model directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file, or a shard named in the index, is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">The shard index is corrupt, or a weights file resolves (through a
    /// symbolic link) outside the directory.</exception>
    public static void Validate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory not found: '{directory}'.");

        Require(directory, ConfigFileName, "the model config");
        ValidateWeights(directory);
        Require(directory, TokenizerFileName, "the tokenizer");
    }

    private static void Require(string directory, string fileName, string what)
    {
        string path = Path.Combine(directory, fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' lacks {fileName} ({what}).", path);
    }

    private static void ValidateWeights(string directory)
    {
        string single = Path.Combine(directory, Safetensors.SingleFileName);
        if (File.Exists(single))
        {
            ModelPaths.ResolveInside(directory, Safetensors.SingleFileName, directory);
            return;
        }

        string indexPath = Path.Combine(directory, Safetensors.IndexFileName);
        if (!File.Exists(indexPath))
        {
            // A PyTorch pickle checkpoint is a common near miss; say so rather than only "missing".
            string hint = File.Exists(Path.Combine(directory, "pytorch_model.bin")) || File.Exists(Path.Combine(directory, "pytorch_model.bin.index.json"))
                ? " It has PyTorch pickle weights (pytorch_model.bin), which this library does not read; convert them to safetensors."
                : "";
            throw new FileNotFoundException(
                $"'{directory}' lacks weights: expected {Safetensors.SingleFileName} or {Safetensors.IndexFileName}.{hint}", single);
        }

        foreach (string shard in SafetensorsIndex.Read(indexPath).ShardFiles)
        {
            string shardPath = Path.Combine(directory, shard);
            if (!File.Exists(shardPath)) throw new FileNotFoundException($"Shard '{shard}' named in '{indexPath}' is missing.", shardPath);
            ModelPaths.ResolveInside(directory, shard, indexPath);
        }
    }
}
