namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>The file a fuzz case corrupts; every other file of the case directory stays valid.</summary>
internal enum FuzzKind
{
    /// <summary><c>model.safetensors</c>: its length prefix, header JSON and data.</summary>
    Safetensors,
    /// <summary><c>model.safetensors.index.json</c> of a sharded checkpoint (and the shard paths it names).</summary>
    ShardIndex,
    /// <summary><c>config.json</c>.</summary>
    Config,
    /// <summary><c>tokenizer.json</c>.</summary>
    Tokenizer,
    /// <summary><c>tokenizer_config.json</c>.</summary>
    TokenizerConfig,
    /// <summary><c>generation_config.json</c>.</summary>
    GenerationConfig,
}
