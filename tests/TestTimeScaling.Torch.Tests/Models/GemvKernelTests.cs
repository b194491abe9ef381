using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>The few-row CPU kernel against libtorch's linear: odd sizes (vector tails, partial four-row groups), bias, views, threads.</summary>
public class GemvKernelTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(1, 7, 3, true)]
    [InlineData(2, 8, 4, false)]
    [InlineData(3, 33, 5, true)]
    [InlineData(4, 100, 130, false)]
    [InlineData(1, 257, 131, true)]
    [InlineData(4, 768, 67, true)]
    public void EqualsTorchLinear(int rows, int inputs, int outputs, bool withBias)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(7);
        var x = randn([rows, inputs], generator: generator);
        var w = randn([outputs, inputs], generator: generator);
        var b = withBias ? randn([outputs], generator: generator) : null;
        Assert.True(Gemv.Applies(x, w, b));
        AssertClose(nn.functional.linear(x, w, b), Gemv.Linear(x, w, b, maxThreads: 1));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SplitsAcrossThreadsWithTheSameResult(int threads)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(11);
        // 301 outputs: the parts end on four-row boundaries except the last, which also runs the one-row tail.
        var x = randn([2, 3, 129], generator: generator);
        var w = randn([301, 129], generator: generator);
        var b = randn([301], generator: generator);
        var single = Gemv.Linear(x, w, b, maxThreads: 1);
        var split = Gemv.Linear(x, w, b, maxThreads: threads);
        Assert.Equal(new long[] { 2, 3, 301 }, split.shape);
        Assert.Equal(0.0, (single - split).abs().max().item<float>());
        AssertClose(nn.functional.linear(x, w, b), split);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    public unsafe void MultipliesRawMemoryLikeTorchLinear(int rows, int threads)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(5);
        var x = randn([rows, 129], generator: generator);
        var w = randn([301, 129], generator: generator);
        var b = randn([301], generator: generator);
        float[] xs = x.data<float>().ToArray(), ws = w.data<float>().ToArray(), bs = b.data<float>().ToArray();
        var ys = new float[rows * 301];
        fixed (float* wp = ws, xp = xs, bp = bs, yp = ys)
            Gemv.Multiply(wp, xp, bp, yp, rows, 129, 301, threads);
        AssertClose(nn.functional.linear(x, w, b), tensor(ys).view(rows, 301));
    }

    /// <summary>Every block shape (4x4, 4x3, 4x2, 4x1 passes), vector tails, one-row outputs past the last group, 1-3 threads.</summary>
    public static TheoryData<int, int, int, bool, int> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, int>();
        foreach (int rows in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 64 })
        foreach (var (inputs, outputs) in new[] { (1, 1), (15, 6), (16, 8), (17, 9), (33, 301), (768, 67), (130, 1030) })
            data.Add(rows, inputs, outputs, (rows + inputs) % 2 == 0, 1 + (rows + outputs) % 3);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BothBlockWidthsEqualTorchLinear(int rows, int inputs, int outputs, bool withBias, int threads)
    {
        foreach (bool wide in Gemv.Wide ? new[] { true, false } : [false])
            AssertMultiplyMatchesLinear(rows, inputs, outputs, withBias, threads, wide, seed: rows * 1000 + inputs);
    }

    /// <summary>
    /// The 4x3 blocks give the same bits as 4x2 and 4x1 passes: each dot product is summed lane by lane in the same
    /// order whatever block holds it, so a row's result does not depend on how many rows share its step.
    /// </summary>
    [Theory]
    [InlineData(3, 256, 36)]
    [InlineData(7, 33, 301)]
    [InlineData(64, 704, 41)]
    public unsafe void TheThreeRowBlocksGiveTheBitsOfTheTwoAndOneRowPasses(int rows, int inputs, int outputs)
    {
        var random = new Random(rows + inputs);
        float[] xs = [.. Enumerable.Range(0, rows * inputs).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] ws = [.. Enumerable.Range(0, outputs * inputs).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] bs = [.. Enumerable.Range(0, outputs).Select(_ => (float)random.NextDouble())];
        float[] Product(int threeRowsFrom)
        {
            var ys = new float[rows * outputs];
            int saved = GemvBlocks256.ThreeRowsFrom;
            try
            {
                GemvBlocks256.ThreeRowsFrom = threeRowsFrom;
                fixed (float* wp = ws, xp = xs, bp = bs, yp = ys) Gemv.Multiply(wp, xp, bp, yp, rows, inputs, outputs, 2, wide: false);
            }
            finally
            {
                GemvBlocks256.ThreeRowsFrom = saved;
            }
            return ys;
        }
        var pairs = Product(int.MaxValue);
        Assert.Equal(pairs, Product(3));
        // Each row alone: one-row passes.
        for (int r = 0; r < rows; r++)
        {
            var alone = new float[outputs];
            fixed (float* wp = ws, xp = xs, bp = bs, yp = alone) Gemv.Multiply(wp, xp + r * inputs, bp, yp, 1, inputs, outputs, 1, wide: false);
            Assert.Equal(pairs.AsSpan(r * outputs, outputs).ToArray(), alone);
        }
    }

    [Fact]
    public void ThePublicEntryUsesTheWidestBlocksTheCpuHas()
    {
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, Gemv.Wide);
        AssertMultiplyMatchesLinear(rows: 3, inputs: 768, outputs: 1280, withBias: true, threads: 2, wide: null, seed: 1);
    }

    [Fact]
    public unsafe void WideBlocksAreRefusedWithoutAvx512()
    {
        if (Gemv.Wide) return; // this CPU has them: BothBlockWidthsEqualTorchLinear covers both paths
        var buffer = new float[3];
        Assert.Throws<PlatformNotSupportedException>(() =>
        {
            fixed (float* p = buffer) Gemv.Multiply(p, p + 1, null, p + 2, 1, 1, 1, 1, wide: true);
        });
    }

    [Fact]
    public unsafe void BadArgumentsAreRefusedByName()
    {
        var buffer = new float[16];
        string Refused(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;
        fixed (float* p = buffer)
        {
            nint a = (nint)p;
            Assert.Equal("w", Refused(() => Gemv.Multiply(null, (float*)a, null, (float*)a, 1, 1, 1, 1)));
            Assert.Equal("x", Refused(() => Gemv.Multiply((float*)a, null, null, (float*)a, 1, 1, 1, 1)));
            Assert.Equal("y", Refused(() => Gemv.Multiply((float*)a, (float*)a, null, null, 1, 1, 1, 1)));
            Assert.Equal("rows", Refused(() => Gemv.Multiply((float*)a, (float*)a, null, (float*)a, -1, 1, 1, 1)));
            Assert.Equal("inputs", Refused(() => Gemv.Multiply((float*)a, (float*)a, null, (float*)a, 1, 0, 1, 1)));
            Assert.Equal("outputs", Refused(() => Gemv.Multiply((float*)a, (float*)a, null, (float*)a, 1, 1, -1, 1)));
            Assert.Equal("maxThreads", Refused(() => Gemv.Multiply((float*)a, (float*)a, null, (float*)a, 1, 1, 1, 0)));
            Gemv.Multiply(p, p, null, p + 8, 0, 4, 2, 1); // no rows: nothing to do
        }
    }

    /// <summary>Prefetching reads ahead of the group in work (past the part and the weight's end): results do not change.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(8)]
    public void PrefetchDistanceDoesNotChangeResults(int distance)
    {
        int saved = GemvBlocks512.PrefetchDistance;
        try
        {
            GemvBlocks512.PrefetchDistance = distance;
            AssertMultiplyMatchesLinear(rows: 5, inputs: 96, outputs: 40, withBias: true, threads: 2, wide: Gemv.Wide, seed: distance);
        }
        finally
        {
            GemvBlocks512.PrefetchDistance = saved;
        }
    }

    [Fact]
    public async Task ConcurrentCallersAllGetTheirOwnResults()
    {
        // More callers than cores: one holds the pool while the others run their parts themselves.
        var tasks = Enumerable.Range(0, 6).Select(caller => Task.Run(() =>
        {
            for (int call = 0; call < 20; call++)
                AssertMultiplyMatchesLinear(rows: 1 + caller % 4, inputs: 256, outputs: 260, withBias: call % 2 == 0, threads: 2, wide: null, seed: caller * 100 + call);
        }));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>y = x wᵀ + b on raw memory (wide: null = the public entry) against torch's linear.</summary>
    private static unsafe void AssertMultiplyMatchesLinear(int rows, int inputs, int outputs, bool withBias, int threads, bool? wide, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var x = randn([rows, inputs], generator: generator);
        var w = randn([outputs, inputs], generator: generator);
        var b = withBias ? randn([outputs], generator: generator) : null;
        float[] xs = x.data<float>().ToArray(), ws = w.data<float>().ToArray(), bs = b is null ? [] : b.data<float>().ToArray();
        var ys = new float[rows * outputs];
        fixed (float* wp = ws, xp = xs, bp = bs, yp = ys)
        {
            float* bias = b is null ? null : bp;
            if (wide is { } chosen) Gemv.Multiply(wp, xp, bias, yp, rows, inputs, outputs, threads, chosen);
            else Gemv.Multiply(wp, xp, bias, yp, rows, inputs, outputs, threads);
        }
        AssertClose(nn.functional.linear(x, w, b), tensor(ys).view(rows, outputs));
    }

    [Fact]
    public void ReadsViewsAtTheirOffset()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(3);
        var buffer = randn([50, 24], generator: generator);
        var w = buffer.narrow(0, 17, 9);          // a weight that starts inside a larger buffer
        var x = randn([5, 24], generator: generator).narrow(0, 1, 3); // rows 1..3 of a larger input
        Assert.Equal(17 * 24, w.storage_offset());
        AssertClose(nn.functional.linear(x, w, null), Gemv.Linear(x, w, null, maxThreads: 1));
        var strided = randn([24, 3], generator: generator).t(); // a non-contiguous input is copied first
        AssertClose(nn.functional.linear(strided, w, null), Gemv.Linear(strided, w, null, maxThreads: 1));
    }

    [Fact]
    public void NoRowsGiveAnEmptyResult()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = Gemv.Linear(zeros(0, 8), ones(4, 8), null, maxThreads: 2);
        Assert.Equal(new long[] { 0, 4 }, y.shape);
    }

    [Fact]
    public void LeavesWhatItDoesNotHandleToTorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 8);
        var w = randn(4, 8);
        using (no_grad())
        {
            Assert.True(Gemv.Applies(x, w, null));
            Assert.False(Gemv.Applies(randn(Gemv.MaxRows + 1, 8), w, null));    // many rows: GEMM wins
            Assert.False(Gemv.Applies(x.to(ScalarType.Float64), w.to(ScalarType.Float64), null));
            Assert.False(Gemv.Applies(x, randn(8, 4).t(), null));             // transposed weight
            Assert.False(Gemv.Applies(x, w, randn(5)));                       // bias of the wrong size
        }
        var trained = randn(4, 8).requires_grad_();
        Assert.False(Gemv.Applies(x, trained, null));                         // autograd needs torch's op
        using (no_grad()) Assert.True(Gemv.Applies(x, trained, null));
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        Assert.True(diff <= Tolerance * scale, $"max |difference| {diff} (scale {scale})");
    }
}
