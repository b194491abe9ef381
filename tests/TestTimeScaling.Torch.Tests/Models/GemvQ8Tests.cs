using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// The Q8_0 matrix and its product: the quantizer's error bound and its agreement with the GGUF writer, and
/// <see cref="GemvQ8"/> against torch's linear over the dequantized weights (block tails, partial four-row groups,
/// 1..16 rows, bias, threads, the non-AVX-512 fallback).
/// </summary>
public class GemvQ8Tests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(5, 32)]
    [InlineData(3, 100)]
    [InlineData(2, 7)]
    public unsafe void RoundTripErrorIsWithinHalfAScaleStepPerWeight(int outputs, int inputs)
    {
        var values = Random(outputs * inputs, seed: outputs * 31 + inputs, spread: 3f);
        values[0] = 0f; // a zero weight and an all-zero block must survive too
        for (int i = 0; i < Math.Min(inputs, Q8Block.Size); i++) values[inputs + i] = 0f;
        Q8Matrix matrix;
        fixed (float* w = values) matrix = Q8Matrix.Quantize(w, outputs, inputs);
        var back = matrix.Dequantize();
        for (int o = 0; o < outputs; o++)
            for (int k = 0; k < matrix.BlocksPerRow; k++)
            {
                int from = k * Q8Block.Size, to = Math.Min(inputs, from + Q8Block.Size);
                float amax = 0;
                for (int i = from; i < to; i++) amax = MathF.Max(amax, MathF.Abs(values[o * inputs + i]));
                float d = amax / 127f, stored = matrix.Scales[o * matrix.BlocksPerRow + k];
                Assert.Equal((float)(Half)d, stored);
                // round(x / d) is within d/2 of x / d; the reader multiplies by the fp16 scale, whose rounding adds
                // at most |q| ≤ 127 times its error.
                double bound = d / 2 + 127 * Math.Abs(d - stored) + 1e-7 * amax;
                for (int i = from; i < to; i++)
                {
                    double error = Math.Abs(values[o * inputs + i] - back[o * inputs + i]);
                    Assert.True(error <= bound, $"row {o}, weight {i}: error {error:E3} > {bound:E3}");
                }
            }
    }

    [Fact]
    public unsafe void HoldsTheSameQuantsAndScalesAsTheGgufWriter()
    {
        const int outputs = 3, inputs = 64;
        var values = Random(outputs * inputs, seed: 3, spread: 0.05f);
        Q8Matrix matrix;
        fixed (float* w = values) matrix = Q8Matrix.Quantize(w, outputs, inputs);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) GgufEncoding.Write(writer, GgmlType.Q8_0, values);
        var bytes = stream.ToArray();
        Assert.Equal(outputs * inputs / Q8Block.Size * GgufEncoding.Q8BlockBytes, bytes.Length);
        for (int block = 0; block < outputs * inputs / Q8Block.Size; block++)
        {
            int at = block * GgufEncoding.Q8BlockBytes;
            Assert.Equal((float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes, at)), matrix.Scales[block]);
            for (int j = 0; j < Q8Block.Size; j++)
                Assert.Equal((sbyte)bytes[at + 2 + j], matrix.Quants[block * Q8Block.Size + j]);
        }
    }

    [Theory]
    [InlineData(1, 32, 1, false, 1)]
    [InlineData(1, 7, 3, true, 1)]
    [InlineData(2, 64, 4, false, 1)]
    [InlineData(3, 33, 5, true, 1)]
    [InlineData(4, 100, 130, false, 1)]
    [InlineData(5, 257, 131, true, 1)]
    [InlineData(6, 768, 67, true, 1)]
    [InlineData(7, 96, 9, false, 1)]
    [InlineData(8, 160, 301, true, 2)]
    [InlineData(9, 129, 301, true, 3)]
    [InlineData(16, 64, 300, true, 2)]
    [InlineData(1, 256, 301, true, 2)]
    [InlineData(1, 64, 9, true, 1)]
    [InlineData(1, 96, 6, false, 1)]
    [InlineData(2, 4096, 13, false, 2)]
    public void EqualsTorchLinearOverTheDequantizedWeights(int rows, int inputs, int outputs, bool withBias, int threads)
    {
        foreach (bool vector512 in new[] { true, false })
            Check(rows, inputs, outputs, withBias, threads, vector512);
    }

    [Fact]
    public void ThreadsSplitTheOutputsWithTheSameResult()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, w, b) = Operands(3, 129, 301, withBias: true, seed: 21);
        var single = Multiply(w, x, b, threads: 1);
        foreach (int threads in new[] { 2, 3, 4 })
            Assert.Equal(single, Multiply(w, x, b, threads));
    }

    private static void Check(int rows, int inputs, int outputs, bool withBias, int threads, bool vector512)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, w, b) = Operands(rows, inputs, outputs, withBias, seed: rows * 1000 + inputs + outputs);
        bool before = GemvQ8.UseVector512;
        GemvQ8.UseVector512 = vector512 && before;
        float[] actual;
        try
        {
            actual = Multiply(w, x, b, threads);
        }
        finally
        {
            GemvQ8.UseVector512 = before;
        }
        var dequantized = tensor(w.Dequantize(), [outputs, inputs]);
        var expected = nn.functional.linear(tensor(x, [rows, inputs]), dequantized, b is null ? null : tensor(b, [outputs])).data<float>().ToArray();
        double scale = expected.Max(MathF.Abs), diff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(diff <= Tolerance * scale, $"{rows}x{inputs}x{outputs}, avx512 {vector512}: max |diff| {diff:E3} > {Tolerance:E0} x {scale:E3}");
    }

    private static unsafe (float[] X, Q8Matrix W, float[]? B) Operands(int rows, int inputs, int outputs, bool withBias, int seed)
    {
        var weights = Random(outputs * inputs, seed, spread: 0.1f);
        Q8Matrix w;
        fixed (float* p = weights) w = Q8Matrix.Quantize(p, outputs, inputs);
        return (Random(rows * inputs, seed + 1, spread: 1f), w, withBias ? Random(outputs, seed + 2, spread: 1f) : null);
    }

    private static unsafe float[] Multiply(Q8Matrix w, float[] x, float[]? b, int threads)
    {
        int rows = x.Length / w.Inputs;
        var y = new float[rows * w.Outputs];
        fixed (float* xp = x, bp = b, yp = y) GemvQ8.Multiply(w, xp, b is null ? null : bp, yp, rows, threads);
        return y;
    }

    private static float[] Random(int count, int seed, float spread)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * spread).ToArray();
    }
}
