namespace TestTimeScaling.Torch;

/// <summary>
/// A checkpoint does not fit the architecture its config describes: a tensor is missing, has the wrong shape or a
/// non-floating-point dtype, or is not used by the architecture (see <see cref="ModelLoadOptions.AllowUnusedTensors"/>).
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointMismatchException(string message, string tensorName, string source) : base(message)
    {
        TensorName = tensorName;
        Checkpoint = source;
    }

    /// <summary>The tensor at fault (Hugging Face name).</summary>
    public string TensorName { get; }

    /// <summary>The model directory or file.</summary>
    public string Checkpoint { get; }
}
