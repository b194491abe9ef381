using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Where and in what precision to load a model.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>The device (CPU by default; <c>torch.CUDA</c> when the application references a CUDA backend).</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// Parameter type. Null means float32 on the CPU (bf16/fp16 checkpoints are converted on load)
    /// and the checkpoint's own half-precision type on CUDA.
    /// </summary>
    public ScalarType? DType { get; init; }
}
