namespace TestTimeScaling.Torch;

/// <summary>
/// A Q8_0 copy of an fp32 weight matrix [outputs, inputs] for <see cref="GemvQ8"/>: each row's weights as signed bytes
/// and one fp32 scale (the fp16 block scale, widened) per block of <see cref="Q8Block.Size"/> weights along the row; a
/// row whose length is not a multiple of the block ends in a shorter block with its own scale.
/// </summary>
/// <remarks>
/// Quants and scales live in two arrays rather than ggml's interleaved 34-byte blocks so the kernel loads them with
/// aligned-width vector reads; the values are the same as a GGUF Q8_0 tensor's (1.125 bytes a weight instead of 1.0625).
/// The arrays are pinned and owned by the garbage collector: a decode step still running on a copy that was just
/// replaced keeps it alive, so no address is ever read after it was freed.
/// </remarks>
internal sealed unsafe class Q8Matrix
{
    private readonly sbyte[] _quants;
    private readonly float[] _scales;

    private Q8Matrix(int outputs, int inputs)
    {
        Outputs = outputs;
        Inputs = inputs;
        BlocksPerRow = (inputs + Q8Block.Size - 1) / Q8Block.Size;
        _quants = GC.AllocateUninitializedArray<sbyte>(checked(outputs * inputs), pinned: true);
        _scales = GC.AllocateUninitializedArray<float>(checked(outputs * BlocksPerRow), pinned: true);
        fixed (sbyte* q = _quants) Quants = q;
        fixed (float* s = _scales) Scales = s;
    }

    /// <summary>Rows of the matrix (outputs of the product).</summary>
    public int Outputs { get; }

    /// <summary>Columns of the matrix (inputs of the product).</summary>
    public int Inputs { get; }

    /// <summary>Blocks per row (the last may be shorter than <see cref="Q8Block.Size"/>).</summary>
    public int BlocksPerRow { get; }

    /// <summary>The quantized weights [outputs, inputs], row-major (pinned: the address does not move).</summary>
    public sbyte* Quants { get; }

    /// <summary>The block scales [outputs, blocks per row] (pinned).</summary>
    public float* Scales { get; }

    /// <summary>Bytes this copy holds.</summary>
    public long ByteCount => _quants.LongLength + _scales.LongLength * sizeof(float);

    /// <summary>Quantizes the fp32 matrix at <paramref name="weights"/> [outputs, inputs] (row-major), rows in parallel.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    public static Q8Matrix Quantize(float* weights, int outputs, int inputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        var matrix = new Q8Matrix(outputs, inputs);
        nint source = (nint)weights;
        Parallel.For(0, outputs, o => matrix.QuantizeRow((float*)source + (long)o * inputs, o));
        return matrix;
    }

    private void QuantizeRow(float* row, int o)
    {
        var values = new ReadOnlySpan<float>(row, Inputs);
        var quants = new Span<sbyte>(Quants + (long)o * Inputs, Inputs);
        float* scales = Scales + (long)o * BlocksPerRow;
        for (int k = 0; k < BlocksPerRow; k++)
        {
            int start = k * Q8Block.Size, length = Math.Min(Q8Block.Size, Inputs - start);
            scales[k] = (float)Q8Block.Quantize(values.Slice(start, length), quants.Slice(start, length));
        }
    }

    /// <summary>The weights this copy stands for, scale times quant, [outputs, inputs] row-major.</summary>
    public float[] Dequantize()
    {
        var values = new float[(long)Outputs * Inputs];
        for (int o = 0; o < Outputs; o++)
            for (int i = 0; i < Inputs; i++)
                values[(long)o * Inputs + i] = Scales[(long)o * BlocksPerRow + i / Q8Block.Size] * Quants[(long)o * Inputs + i];
        return values;
    }
}
