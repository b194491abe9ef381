using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>
/// What the loader checks from config.json and the safetensors headers before it builds the network: unused
/// tensors, weight dtypes, the memory limit; and that streamed weights equal the saved ones.
/// </summary>
public sealed class DecoderCheckpointValidationTests
{
    private static Dictionary<string, Tensor> StateWith(LlamaDecoder model, string name, Tensor extra)
    {
        var state = model.StateDict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        state[name] = extra;
        return state;
    }

    [Fact]
    public void AnUnusedTensorIsNamedUnlessAllowed()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        // An o_proj bias the config does not enable: transformers would use it, so ignoring it would change the logits.
        Safetensors.SaveDirectory(dir.Path, StateWith(model, "model.layers.0.self_attn.o_proj.bias", ones(32)));

        var error = Assert.Throws<CheckpointMismatchException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Equal("model.layers.0.self_attn.o_proj.bias", error.TensorName);
        Assert.Contains("AllowUnusedTensors", error.Message);

        using var loaded = DecoderCheckpoint.Load(dir.Path, new ModelLoadOptions { AllowUnusedTensors = true });
        Assert.DoesNotContain(loaded.named_parameters(), p => p.name == "model.layers.0.self_attn.o_proj.bias");
    }

    [Fact]
    public void RotaryInverseFrequencyBuffersAreIgnoredAsTransformersDoes()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        Safetensors.SaveDirectory(dir.Path, StateWith(model, "model.layers.0.self_attn.rotary_emb.inv_freq", ones(4)));

        using var loaded = DecoderCheckpoint.Load(dir.Path);
        Assert.Equal(0f, (loaded.StateDict()["model.norm.weight"] - model.StateDict()["model.norm.weight"]).abs().max().item<float>());
    }

    [Fact]
    public void AnIntegerWeightIsAMismatchNamingTheTensor()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        var norm = model.StateDict()["model.norm.weight"];
        Safetensors.SaveDirectory(dir.Path, StateWith(model, "model.norm.weight", norm.to(ScalarType.Int32)));

        var error = Assert.Throws<CheckpointMismatchException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Equal("model.norm.weight", error.TensorName);
        Assert.Contains("I32", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteWeightIsInvalidDataNamingTheTensor(float value)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        var broken = model.StateDict()["model.layers.1.mlp.down_proj.weight"].clone();
        broken[3, 5] = tensor(value);
        Safetensors.SaveDirectory(dir.Path, StateWith(model, "model.layers.1.mlp.down_proj.weight", broken));

        var error = Assert.Throws<InvalidDataException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("'model.layers.1.mlp.down_proj.weight'", error.Message);
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void AModelOverTheWeightLimitIsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        long parameters = model.parameters().Sum(p => p.numel());

        var error = Assert.Throws<ModelTooLargeException>(() => DecoderCheckpoint.Load(dir.Path, new ModelLoadOptions { MaxWeightBytes = parameters * 4 - 1 }));
        Assert.Equal(parameters * 4, error.RequiredBytes);
        Assert.Equal(parameters * 4 - 1, error.LimitBytes);
        Assert.Equal(dir.Path, error.Directory);
        Assert.Contains(dir.Path, error.Message);

        // A float16 model on the CPU holds the float32 weights and the converted copy at the peak.
        var half = Assert.Throws<ModelTooLargeException>(() => DecoderCheckpoint.Load(dir.Path,
            new ModelLoadOptions { DType = ScalarType.Float16, MaxWeightBytes = parameters * 4 }));
        Assert.Equal(parameters * 6, half.RequiredBytes);

        using var loaded = DecoderCheckpoint.Load(dir.Path, new ModelLoadOptions { MaxWeightBytes = parameters * 4 });
        Assert.Equal(parameters, loaded.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void AConfigTooLargeForTheMachineIsRefusedFromTheConfigAlone()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        // 64 layers of width 8192 with a 128k vocabulary: ~70 GB in float32, and the checkpoint holds none of it.
        (model.Config with { HiddenSize = 8192, IntermediateSize = 28672, NumHiddenLayers = 64, NumAttentionHeads = 64, NumKeyValueHeads = 8, HeadDim = 128, VocabSize = 128256 })
            .Save(dir.Path);

        var error = Assert.Throws<ModelTooLargeException>(() => DecoderCheckpoint.Load(dir.Path, new ModelLoadOptions { MaxWeightBytes = 1L << 34 }));
        Assert.True(error.RequiredBytes > 1L << 34);
        Assert.True(ModelLoadOptions.DefaultMaxWeightBytes > 0);
    }

    [Fact]
    public void StreamedBfloat16AndShardedWeightsEqualTheSavedOnes()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama() with { AttentionBias = true });
        var halved = model.StateDict().ToDictionary(p => p.Key, p => p.Value.to(ScalarType.BFloat16), StringComparer.Ordinal);
        model.Config.Save(dir.Path);
        Safetensors.SaveDirectory(dir.Path, halved, maxShardBytes: 8_000);
        Assert.True(File.Exists(dir.File(Safetensors.IndexFileName)));

        using var loaded = DecoderCheckpoint.Load(dir.Path);
        var state = loaded.StateDict();
        Assert.Equal(halved.Keys.Order(), state.Keys.Order());
        foreach (var (name, tensor) in halved)
            Assert.Equal(0f, (tensor.to(ScalarType.Float32) - state[name]).abs().max().item<float>());
    }
}
