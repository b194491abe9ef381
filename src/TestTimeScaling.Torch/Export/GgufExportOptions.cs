namespace TestTimeScaling.Torch;

/// <summary>Settings of a GGUF export.</summary>
public sealed record GgufExportOptions
{
    /// <summary>Storage of the weight matrices; F32 by default (bit-exact with this library's fp32 weights).</summary>
    public GgufWeightType WeightType { get; init; } = GgufWeightType.F32;

    /// <summary>The <c>general.name</c> written into the file; the model directory's name when null.</summary>
    public string? Name { get; init; }
}
