using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Loading;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// q/k/v and gate/up run as one product over one buffer whose slices are the Hugging Face parameters: the fused
/// path must equal the separate one, and loading, saving, training and moves must keep seeing the same memory.
/// </summary>
public class FusedProjectionTests
{
    private const string Q = "model.layers.0.self_attn.q_proj.weight";
    private const string K = "model.layers.0.self_attn.k_proj.weight";
    private const string V = "model.layers.0.self_attn.v_proj.weight";
    private const string Gate = "model.layers.1.mlp.gate_proj.weight";
    private const string Up = "model.layers.1.mlp.up_proj.weight";

    [Fact]
    public void ParametersAreSlicesOfOneBuffer()
    {
        using var model = TinyModels.Random(TinyModels.Llama() with { NumKeyValueHeads = 2, AttentionBias = true });
        var state = model.StateDict();
        AssertSlices(state, Q, K, V);
        AssertSlices(state, Gate, Up);
        AssertSlices(state, "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.k_proj.bias", "model.layers.0.self_attn.v_proj.bias");
        // An in-place change to a parameter is a change to the buffer the fused product reads: the fused
        // (no-grad) forward still equals the separate (autograd) one.
        using (no_grad()) state[K].add_(1.0);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 3, 1, 4 }).unsqueeze(0);
        var unfused = model.Forward(ids).detach();
        using (no_grad()) AssertClose(unfused, model.Forward(ids), 1e-6 * Math.Max(1, unfused.abs().max().item<float>()), "after an in-place change");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)] // past the kernel's row limit: libtorch's linear over the fused buffer
    public void FusedGroupEqualsSeparateProjections(int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = new Projection(40, 24, hasBias: true);
        var b = new Projection(40, 8, hasBias: true);
        var c = new Projection(40, 8, hasBias: true);
        foreach (var p in new[] { a, b, c }) foreach (var t in p.parameters()) t.normal_(0, 1);
        using var group = new ProjectionGroup(a, b, c);
        var x = randn(rows, 40);
        var fused = group.Forward(x);
        var separate = new[] { a, b, c }.Select(p => nn.functional.linear(x, p.Weight, p.Bias)).ToArray();
        // Sums of 40 unit-variance products reach ~20: 1e-6 relative to that.
        for (int i = 0; i < 3; i++) AssertClose(separate[i], fused[i], 1e-6 * Math.Max(1, separate[i].abs().max().item<float>()), $"part {i}");
    }

    [Theory]
    [MemberData(nameof(DecoderCacheTests.Variants), MemberType = typeof(DecoderCacheTests))]
    public void FusedForwardEqualsTheUnfusedAutogradForward(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Random(config);
        var ids = tensor(new long[] { 3, 1, 4, 1, 5, 9, 2, 6 }).unsqueeze(0);
        var unfused = model.Forward(ids).detach(); // grad enabled: the parts run separately under autograd
        Tensor fused;
        using (no_grad()) fused = model.Forward(ids);
        // Logits of the tiny random models reach ~30: compare relative to that.
        AssertClose(unfused, fused, 1e-6 * Math.Max(1, unfused.abs().max().item<float>()), name);
    }

    [Fact]
    public void TrainingUpdatesTheParametersAndTheFusedBufferTogether()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Random(TinyModels.Llama());
        model.train();
        var before = model.StateDict().ToDictionary(p => p.Key, p => p.Value.clone());
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);
        var ids = tensor(new long[] { 3, 1, 4, 1, 5, 9, 2, 6 }).unsqueeze(0);
        for (int step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            var logits = model.Forward(ids);
            var loss = nn.functional.cross_entropy(logits[0, ..^1], ids[0, 1..]);
            loss.backward();
            optimizer.step();
        }
        var after = model.StateDict();
        foreach (var name in new[] { Q, K, V, Gate, Up })
        {
            Assert.True((after[name] - before[name]).abs().max().item<float>() > 0, $"{name} did not change");
            Assert.NotNull(after[name].grad);
        }
        AssertSlices(after, Q, K, V);
        AssertSlices(after, Gate, Up);
        model.eval();
        var unfused = model.Forward(ids).detach();
        using (no_grad()) AssertClose(unfused, model.Forward(ids), 1e-6 * Math.Max(1, unfused.abs().max().item<float>()), "after training");
    }

    [Fact]
    public void ASavedCheckpointLoadsIntoTheFusedBuffers()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama() with { NumKeyValueHeads = 2, AttentionBias = true, MlpBias = true });
        DecoderCheckpoint.Save(model, dir.Path);
        using var loaded = DecoderCheckpoint.Load(dir.Path);
        var expected = model.StateDict();
        var actual = loaded.StateDict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, value) in expected)
            Assert.True((value - actual[name]).abs().max().item<float>() == 0, $"{name} differs after the round trip");
        AssertSlices(actual, Q, K, V);
        AssertSlices(actual, Gate, Up);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 7, 2, 9 }).unsqueeze(0);
        Assert.Equal(0f, (model.Forward(ids) - loaded.Forward(ids)).abs().max().item<float>());
    }

    [Fact]
    public void MovingToAnotherTypeRebuildsTheFusion()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Random(TinyModels.Llama() with { NumKeyValueHeads = 2 });
        var ids = tensor(new long[] { 5, 8, 13, 21 }).unsqueeze(0);
        Tensor reference;
        using (no_grad()) reference = model.Forward(ids).to(ScalarType.Float64);
        using var moved = model.MoveTo(CPU, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, moved.StateDict()[Q].dtype);
        AssertSlices(moved.StateDict(), Q, K, V);
        AssertSlices(moved.StateDict(), Gate, Up);
        using (no_grad()) AssertClose(reference, moved.Forward(ids), 1e-4, "float64 after MoveTo");
    }

    [Fact]
    public void ModuleToWithoutRefusingStillComputesTheSameLogits()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Random(TinyModels.Llama());
        var ids = tensor(new long[] { 5, 8, 13, 21 }).unsqueeze(0);
        Tensor reference;
        using (no_grad()) reference = model.Forward(ids).to(ScalarType.Float64);
        model.to(ScalarType.Float64); // replaces every parameter: the groups fall back to their parts
        Assert.Equal(0, model.StateDict()[K].storage_offset());
        using (no_grad()) AssertClose(reference, model.Forward(ids), 1e-4, "float64 after Module.to");
    }

    private static void AssertSlices(IReadOnlyDictionary<string, Tensor> state, params string[] names)
    {
        long offset = 0;
        foreach (var name in names)
        {
            Assert.Equal(offset, state[name].storage_offset());
            Assert.True(state[name].is_contiguous(), $"{name} is not contiguous");
            offset += state[name].numel();
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().to(ScalarType.Float64).item<double>();
        Assert.True(diff <= tolerance, $"{what}: max |difference| {diff} > {tolerance}");
    }
}
