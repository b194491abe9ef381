namespace TestTimeScaling.Torch;

/// <summary>How <see cref="GgufExporter"/> stores the weight matrices (norm weights and biases always stay F32).</summary>
public enum GgufWeightType
{
    /// <summary>32-bit floats: exact.</summary>
    F32,

    /// <summary>IEEE half precision.</summary>
    F16,

    /// <summary>bfloat16 (rounded to nearest even).</summary>
    BF16,

    /// <summary>llama.cpp's Q8_0: blocks of 32 weights as 8-bit integers with one half-precision scale (about 8.5 bits a weight).
    /// Matrices whose rows are not a multiple of 32 fall back to F16.</summary>
    Q8_0,
}
