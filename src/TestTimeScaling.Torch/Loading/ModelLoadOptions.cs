using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Where and in what precision to load a model, and what the loader may accept.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>The device (CPU by default; <c>torch.CUDA</c> when the application references a CUDA backend).</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// Parameter type. Null means float32 on the CPU (bf16/fp16 checkpoints are converted on load)
    /// and the checkpoint's own half-precision type on CUDA.
    /// </summary>
    public ScalarType? DType { get; init; }

    /// <summary>
    /// The most host memory, in bytes, the weights may take while loading; null means
    /// <see cref="DefaultMaxWeightBytes"/>. The need is computed from config.json before anything is allocated:
    /// the parameter count times 4 (the weights are filled in float32 on the host), plus the count times the
    /// element size of <see cref="DType"/> when the model ends on the CPU in another type. Above the limit,
    /// loading throws <see cref="ModelTooLargeException"/>.
    /// </summary>
    public long? MaxWeightBytes { get; init; }

    /// <summary>
    /// Whether a checkpoint may hold tensors the architecture does not use (they are then skipped). False by
    /// default: an unused tensor usually means config.json does not describe the weights (for example a bias the
    /// config does not enable), so loading refuses it with <see cref="CheckpointMismatchException"/> naming it.
    /// Buffers transformers itself ignores (<c>*.rotary_emb.inv_freq</c>, <c>*.rotary_emb.original_inv_freq</c>) are always skipped.
    /// </summary>
    public bool AllowUnusedTensors { get; init; }

    /// <summary>
    /// The default weight limit: three quarters of the memory available to this process
    /// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: physical memory, or the container's limit).
    /// </summary>
    public static long DefaultMaxWeightBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3;
}
