using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// A Llama-family decoder (Llama 2/3, Qwen2, Qwen3, Mistral, SmolLM) with either a language-model head
/// (<c>*ForCausalLM</c>: next-token logits) or a token-classification head (<c>*ForTokenClassification</c>:
/// per-position scores, used for process reward models). Parameter names match Hugging Face checkpoints.
/// </summary>
public sealed class LlamaDecoder : nn.Module
{
    private readonly LlamaBackbone model;
    private readonly Projection? lm_head;
    private readonly Projection? score;
    // The torch-free path of single-token steps (null until the first step asks for it).
    private ManagedDecodeStep? _managedStep;
    private DecodeWeightFormat _decodeWeights;
    private volatile bool _disposed;

    private LlamaDecoder(ModelConfig config, Device device) : base(nameof(LlamaDecoder))
    {
        config.Validate();
        Config = config;
        model = new LlamaBackbone(config, device);
        if (config.IsTokenClassifier)
            score = new Projection(config.HiddenSize, config.NumLabels, hasBias: true);
        else if (!config.TieWordEmbeddings)
            lm_head = new Projection(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the parameters live.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Element type of the parameters.</summary>
    public ScalarType DType { get; private set; } = ScalarType.Float32;

    /// <summary>
    /// A model with freshly initialized weights (normal(0, 0.02) as transformers does, norms at 1),
    /// reproducible from <paramref name="seed"/>.
    /// </summary>
    public static LlamaDecoder Create(ModelConfig config, long seed = 0, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        var target = device ?? CPU;
        var decoder = new LlamaDecoder(config, CPU);
        using (no_grad())
        {
            var generator = new Generator((ulong)seed);
            foreach (var (name, p) in decoder.named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(HeldScalars.One);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                else p.normal_(0.0, 0.02, generator);
            }
        }
        return decoder.MoveTo(target, dtype);
    }

    /// <summary>The window of the sliding layers, or null when no layer slides (then no sliding mask is built).</summary>
    private int? SlidingWindow => Config.HasSlidingLayers ? Config.EffectiveSlidingWindow : null;

    /// <summary>A model with uninitialized weights (no random initialisation is spent), to be filled by a loader.</summary>
    internal static LlamaDecoder CreateEmpty(ModelConfig config) => new(config, CPU);

    /// <summary>Moves parameters (and the rotary tables) to a device and element type.</summary>
    internal LlamaDecoder MoveTo(Device device, ScalarType dtype)
    {
        if (device.type == Device.type && device.index == Device.index && dtype == DType)
            return this;
        // The rotary tables are not parameters; rebuild the module on the target device and copy the weights.
        var moved = new LlamaDecoder(Config, device);
        moved.to(device, dtype);
        // Module.to replaced the fused parameters with separate tensors: give them one buffer per group again.
        moved.model.Fuse();
        moved.Device = device;
        moved.DType = dtype;
        using (no_grad())
        {
            var source = named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in moved.named_parameters()) p.copy_(source[name]);
        }
        Dispose();
        return moved;
    }

    /// <summary>The trunk (for tests and benchmarks that reach its parts).</summary>
    internal LlamaBackbone Backbone => model;

    /// <summary>lm_head or the score head; null when the head is the tied embedding.</summary>
    internal Projection? OutputHead => score ?? lm_head;

    /// <summary>Output of the head at every position for token ids [B, T], without a cache: logits [B, T, vocab] or scores [B, T, labels].</summary>
    public Tensor Forward(Tensor inputIds) => Forward(inputIds, CancellationToken.None);

    /// <summary>Like <see cref="Forward(Tensor)"/>, checking <paramref name="cancellationToken"/> before every layer.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing the pass made is left alive.</exception>
    public Tensor Forward(Tensor inputIds, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var step = AttentionStep.Causal(inputIds.shape[0], inputIds.shape[1], inputIds.device, SlidingWindow);
        var hidden = model.Forward(inputIds, step, cache: null, cancellationToken);
        return Head(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Like <see cref="Forward(Tensor)"/>, but also returns the trunk's final (normalized) hidden states [B, T, hidden],
    /// for training objectives that read the trunk besides the head (e.g. a language-modeling loss through
    /// <see cref="EmbeddingLogits"/> while a score head trains).
    /// </summary>
    public (Tensor Hidden, Tensor Output) ForwardWithHidden(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        using var step = AttentionStep.Causal(inputIds.shape[0], inputIds.shape[1], inputIds.device, SlidingWindow);
        var hidden = model.Forward(inputIds, step, cache: null);
        return (hidden.MoveToOuterDisposeScope(), Head(hidden).MoveToOuterDisposeScope());
    }

    /// <summary>Next-token logits [.., vocab] of hidden states through the input embedding matrix (weight tying), whatever this model's head.</summary>
    public Tensor EmbeddingLogits(Tensor hidden) => model.TiedLogits(hidden);

    /// <summary>
    /// Appends token ids [B, T] to the rows of <paramref name="cache"/> (row b takes its first
    /// <paramref name="valid"/>[b] tokens; the rest are padding) and returns the head output at each
    /// row's last new token, [B, vocab] or [B, labels].
    /// </summary>
    public Tensor Forward(Tensor inputIds, KvCache cache, IReadOnlyList<long> valid)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (inputIds.shape[0] != cache.RowCount)
            throw new ArgumentException($"inputIds has {inputIds.shape[0]} rows but the cache has {cache.RowCount}.", nameof(inputIds));
        if (valid.Count != cache.RowCount || valid.Any(v => v < 1 || v > inputIds.shape[1]))
            throw new ArgumentException($"valid must hold one count in [1, {inputIds.shape[1]}] per row.", nameof(valid));
        if (ManagedDecodeStep.Enabled && TryManagedStep(inputIds, cache, valid) is { } logits) return logits;
        return TorchStep(inputIds, cache, valid);
    }

    /// <summary>
    /// The step in managed code (<see cref="ManagedDecodeStep"/>) when it qualifies (one token per row, few rows, no
    /// shared segment, CPU float32, no autograd), whatever <see cref="ManagedDecodeStep.Enabled"/> says; null otherwise.
    /// </summary>
    internal Tensor? TryManagedStep(Tensor inputIds, KvCache cache, IReadOnlyList<long> valid)
    {
        // A disposed decoder's weights are freed: the addresses the step keeps must not be read (the torch path throws).
        if (_disposed || inputIds.dim() != 2 || inputIds.shape[1] != 1) return null;
        // A benign race: two threads may each build one; either serves.
        _managedStep ??= new ManagedDecodeStep(Config, model, OutputHead) { Format = _decodeWeights };
        return _managedStep.TryForward(inputIds, cache, valid, Device, DType);
    }

    /// <summary>
    /// The weights the managed decode steps multiply with (default <see cref="DecodeWeightFormat.Float32"/>).
    /// <see cref="DecodeWeightFormat.Q8_0"/> makes, at the next decode step, a Q8_0 copy of every projection matrix
    /// (about 1.1 bytes a weight beside the fp32 ones: the model uses more memory, not less) that decode steps of at most
    /// eight rows on a CPU float32 model then read instead of the fp32 weights; prefill, larger batches and everything
    /// else keep the fp32 torch path. Outputs change by the quantization error (docs/quantized-decode.md).
    /// </summary>
    /// <remarks>
    /// The copy is retaken when a weight tensor is replaced (loading, <c>to</c>, fusing). After updating weights in
    /// place (<c>copy_</c>, an optimizer step), set this property again, even to the same value: that drops the copy.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined format.</exception>
    public DecodeWeightFormat DecodeWeights
    {
        get => _decodeWeights;
        set
        {
            if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown decode weight format.");
            _decodeWeights = value;
            if (_managedStep is { } step)
            {
                step.Format = value;
                step.Refresh();
            }
        }
    }

    /// <summary>The step through libtorch's ops, whatever its shape (the arguments are checked by the caller).</summary>
    internal Tensor TorchStep(Tensor inputIds, KvCache cache, IReadOnlyList<long> valid)
    {
        using var scope = NewDisposeScope();
        using var step = AttentionStep.Cached(cache, inputIds.shape[1], valid, SlidingWindow);
        var hidden = model.Forward(inputIds, step, cache);
        cache.Advance(valid);
        using var last = tensor(valid.Select(v => v - 1).ToArray(), dtype: ScalarType.Int64, device: hidden.device);
        var lastHidden = hidden.gather(1, last.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1);
        return Head(lastHidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Appends token ids to the cache like <see cref="Forward(Tensor, KvCache, IReadOnlyList{long})"/>
    /// but returns the head output at every new position, [B, T, vocab] or [B, T, labels].
    /// </summary>
    public Tensor ForwardAll(Tensor inputIds, KvCache cache, IReadOnlyList<long> valid)
    {
        using var scope = NewDisposeScope();
        using var step = AttentionStep.Cached(cache, inputIds.shape[1], valid, SlidingWindow);
        var hidden = model.Forward(inputIds, step, cache);
        cache.Advance(valid);
        return Head(hidden).MoveToOuterDisposeScope();
    }

    private Tensor Head(Tensor hidden) =>
        score is not null ? score.forward(hidden)
        : lm_head is not null ? lm_head.forward(hidden)
        : model.TiedLogits(hidden);

    /// <summary>Frees the parameters; the managed decode step stops reading them first.</summary>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _managedStep = null;
        base.Dispose(disposing);
    }

    /// <summary>Parameters that do work per token (all but the embedding lookup; a tied output projection counts), for FLOP estimates.</summary>
    public long NonEmbeddingParameterCount
    {
        get
        {
            long embedding = model.EmbeddingParameterCount;
            bool tiedHead = lm_head is null && score is null;
            return parameters().Sum(p => p.numel()) - embedding + (tiedHead ? embedding : 0);
        }
    }

    /// <summary>The weights under their Hugging Face names (views of the live parameters).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() =>
        named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
}
