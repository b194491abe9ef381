using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>The one-pass CPU kernels of a decoder layer against the torch ops they replace.</summary>
public class LayerKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(2, 768)]
    public void RmsNormEqualsTheTorchFormula(int rows, int size)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(5);
        var x = randn([rows, size], generator: generator) * 3;
        var weight = randn([size], generator: generator);
        var expected = weight * (x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + 1e-5));
        Assert.True(RmsNormKernel.Applies(x, weight));
        AssertClose(expected, RmsNormKernel.Apply(x, weight, 1e-5), 1e-6);
    }

    [Theory]
    [InlineData(1, 1, 2, 8, 8, 0)]     // one token, whole head rotates
    [InlineData(2, 3, 3, 12, 6, 5)]    // partial rotary, heads starting mid-row
    [InlineData(1, 4, 2, 16, 16, 32)]
    public void RotaryEqualsRotaryEmbeddingApplyExactly(int batch, int length, int heads, int headDim, int rotary, int column)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(9);
        int width = column + heads * headDim + 3;
        var source = randn([batch, length, width], generator: generator);
        var angles = randn([batch, 1, length, rotary / 2], generator: generator);
        var emb = cat([angles, angles], -1);
        var cos = emb.cos() * 1.3; // an attention factor is folded into the tables
        var sin = emb.sin() * 1.3;
        var heads4 = source.narrow(-1, column, heads * headDim).view(batch, length, heads, headDim).transpose(1, 2);
        var expected = RotaryEmbedding.Apply(heads4, cos, sin);
        Assert.True(RotaryKernel.Applies(source, cos, sin));
        var actual = RotaryKernel.Apply(source, column, heads, headDim, cos, sin);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }

    [Fact]
    public void RotaryRefusesHeadsPastTheRow()
    {
        using var scope = NewDisposeScope();
        var source = zeros(1, 1, 16);
        var table = zeros(1, 1, 1, 8);
        Assert.Throws<ArgumentException>(() => RotaryKernel.Apply(source, 10, 1, 8, table, table));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 37)]
    [InlineData(1, 2048)]
    public void SwiGluEqualsSiluTimesUp(int rows, int intermediate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gateUp = randn([rows, 2 * intermediate], generator: new Generator(4)) * 4;
        var expected = nn.functional.silu(gateUp[.., ..intermediate]) * gateUp[.., intermediate..];
        Assert.True(SwiGluKernel.Applies(gateUp));
        AssertClose(expected, SwiGluKernel.Apply(gateUp), 1e-6);
    }

    [Fact]
    public void KernelsLeaveAutogradToTorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 8).requires_grad_();
        var weight = ones(8);
        Assert.False(RmsNormKernel.Applies(x, weight));
        Assert.False(SwiGluKernel.Applies(x));
        Assert.False(RmsNormKernel.Applies(randn(2, 8).t(), ones(2)));   // non-contiguous
        using (no_grad()) Assert.True(RmsNormKernel.Applies(x, weight));
    }

    private static void AssertClose(Tensor expected, Tensor actual, double relative)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        Assert.True(diff <= relative * scale, $"max |difference| {diff} (scale {scale})");
    }
}
