
namespace TestTimeScaling.Torch;

/// <summary>
/// A Hugging Face model directory loaded for use: the decoder and its tokenizer. The entry point for
/// applications: load a policy and make a sampler, or load a reward model and make a verifier.
/// </summary>
/// <example>
/// <code>
/// using var policy = LanguageModel.Load("models/arithmetic-policy");
/// using var engine = policy.CreateSampler();
/// var result = await engine.SampleAsync(new SampleRequest { Prompt = "Q: 7 +5 *3\n", N = 8 });
/// </code>
/// </example>
public sealed class LanguageModel : IDisposable
{
    private LanguageModel(string directory, LlamaDecoder decoder, HfTokenizer tokenizer)
    {
        Directory = directory;
        Decoder = decoder;
        Tokenizer = tokenizer;
    }

    /// <summary>Where it was loaded from.</summary>
    public string Directory { get; }

    /// <summary>The network.</summary>
    public LlamaDecoder Decoder { get; }

    /// <summary>The tokenizer.</summary>
    public HfTokenizer Tokenizer { get; }

    /// <summary>The architecture.</summary>
    public ModelConfig Config => Decoder.Config;

    /// <summary>
    /// Loads config.json, the safetensors weights and tokenizer.json of a model directory. The directory is untrusted
    /// input: every file is validated, and the weights checked against config.json and the memory limit, before the
    /// network is allocated (see <see cref="DecoderCheckpoint.Load"/> and docs/reliability.md). These six exception
    /// types are the only ones bad files produce.
    /// </summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="options">Device, precision, memory limit and leniency; null for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing (the message names it).</exception>
    /// <exception cref="NotSupportedException">Unknown model type, config value, tokenizer component or tensor dtype.</exception>
    /// <exception cref="CheckpointMismatchException">A tensor is missing, has the wrong shape or dtype, or is not used by the architecture.</exception>
    /// <exception cref="ModelTooLargeException">The weights would exceed <see cref="ModelLoadOptions.MaxWeightBytes"/>.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or inconsistent; the message names the file and the field, key or tensor.</exception>
    public static LanguageModel Load(string directory, ModelLoadOptions? options = null)
    {
        ModelDirectory.Validate(directory);
        var tokenizer = HfTokenizer.Load(directory);
        tokenizer.EnsureIdsBelow(ModelConfig.Load(directory).VocabSize, Path.Combine(directory, ModelDirectory.ConfigFileName));
        var decoder = DecoderCheckpoint.Load(directory, options);
        return new LanguageModel(directory, decoder, tokenizer);
    }

    /// <summary>A sampler over this model (it must have a language-model head).</summary>
    public GenerationEngine CreateSampler(GenerationEngineOptions? options = null) => new(Decoder, Tokenizer, options);

    /// <summary>
    /// The decode loop every sampler over this model shares (continuous batching across concurrent calls); set its
    /// <see cref="DecodeScheduler.Options"/> to bound the rows and KV memory in flight.
    /// </summary>
    public DecodeScheduler Scheduler => DecodeScheduler.For(Decoder);

    /// <summary>A process verifier over this model (it must have a token-classification head).</summary>
    public ProcessRewardVerifier CreateProcessVerifier(ProcessRewardOptions? options = null) => new(Decoder, Tokenizer, options);

    /// <summary>Frees the model's tensors.</summary>
    public void Dispose() => Decoder.Dispose();
}
