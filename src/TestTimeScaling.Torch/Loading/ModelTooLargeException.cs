namespace TestTimeScaling.Torch;

/// <summary>
/// A model's weights would need more memory than <see cref="ModelLoadOptions.MaxWeightBytes"/> allows. Raised
/// from the config and the safetensors headers alone, before any weight is allocated.
/// </summary>
public sealed class ModelTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="requiredBytes">The bytes loading would hold at its peak.</param>
    /// <param name="limitBytes">The limit in force.</param>
    public ModelTooLargeException(string directory, long requiredBytes, long limitBytes)
        : base($"Loading '{directory}' needs {Describe(requiredBytes)} for its weights, over the limit of {Describe(limitBytes)} " +
               $"(ModelLoadOptions.MaxWeightBytes).")
    {
        Directory = directory;
        RequiredBytes = requiredBytes;
        LimitBytes = limitBytes;
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>The bytes loading would hold at its peak (<see cref="long.MaxValue"/> when the count overflows).</summary>
    public long RequiredBytes { get; }

    /// <summary>The limit in force.</summary>
    public long LimitBytes { get; }

    private static string Describe(long bytes) =>
        bytes == long.MaxValue ? "more bytes than a 64-bit count holds" : $"{bytes:N0} bytes ({bytes / (double)(1L << 30):F2} GiB)";
}
