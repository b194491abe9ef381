using TestTimeScaling.Torch;
using System.Text.Json.Nodes;
using TestTimeScaling.Torch.Tests.Models;
using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>Model directories: save and load give identical logits; every bad input is a specific, named error.</summary>
public class DecoderCheckpointTests
{
    private static readonly int[] Tokens = [2, 7, 11, 3, 30, 19, 5];

    private static void AssertSameLogits(LlamaDecoder expected, LlamaDecoder actual)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = expected.Forward(DecoderCacheTests.Ids(Tokens));
        var b = actual.Forward(DecoderCacheTests.Ids(Tokens));
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Theory]
    [MemberData(nameof(DecoderCacheTests.Variants), MemberType = typeof(DecoderCacheTests))]
    public void SaveThenLoadGivesIdenticalLogits(string name, ModelConfig config)
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(config);
        DecoderCheckpoint.Save(model, dir.Path);
        using var loaded = DecoderCheckpoint.Load(dir.Path);
        Assert.Equal(config.ToJson().ToJsonString(), loaded.Config.ToJson().ToJsonString());
        AssertSameLogits(model, loaded);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void ShardedSaveThenLoadGivesIdenticalLogits()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path, maxShardBytes: 16_000);
        Assert.True(File.Exists(dir.File(Safetensors.IndexFileName)));
        Assert.True(Directory.GetFiles(dir.Path, "model-*-of-*.safetensors").Length > 1);
        using var loaded = DecoderCheckpoint.Load(dir.Path);
        AssertSameLogits(model, loaded);
    }

    [Fact]
    public void ABfloat16CheckpointLoadsAsFloat32OnTheCpu()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        var halved = model.StateDict().ToDictionary(p => p.Key, p => p.Value.to(ScalarType.BFloat16));
        Safetensors.SaveDirectory(dir.Path, halved);
        (model.Config with { TorchDtype = "bfloat16" }).Save(dir.Path);
        foreach (var t in halved.Values) t.Dispose();

        using var loaded = DecoderCheckpoint.Load(dir.Path);
        Assert.Equal(ScalarType.Float32, loaded.DType);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // bf16 keeps ~3 significant digits: the logits agree to that precision, and the weights exactly match the rounded ones.
        var original = model.StateDict()["model.layers.0.mlp.up_proj.weight"].to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.Equal(0f, (original - loaded.StateDict()["model.layers.0.mlp.up_proj.weight"]).abs().max().item<float>());
        var diff = (model.Forward(DecoderCacheTests.Ids(Tokens)) - loaded.Forward(DecoderCacheTests.Ids(Tokens))).abs().max().item<float>();
        Assert.InRange(diff, 1e-6f, 0.5f);
    }

    [Fact]
    public void MissingConfigNamesTheFile()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void UnknownModelTypeIsNamed()
    {
        using var dir = new TempDirectory();
        var config = TinyModels.Llama().ToJson();
        config["model_type"] = "gpt_neox";
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var error = Assert.Throws<NotSupportedException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("gpt_neox", error.Message);
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        var partial = model.StateDict().Where(p => p.Key != "model.layers.1.self_attn.k_proj.weight").ToDictionary();
        Safetensors.SaveDirectory(dir.Path, partial);
        var error = Assert.Throws<CheckpointMismatchException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Equal("model.layers.1.self_attn.k_proj.weight", error.TensorName);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", error.Message);
    }

    [Fact]
    public void AWrongShapeIsNamedWithBothShapes()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        // A config that says the MLP is wider than the weights are.
        (model.Config with { IntermediateSize = 80 }).Save(dir.Path);
        var error = Assert.Throws<CheckpointMismatchException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("mlp", error.TensorName);
        Assert.Contains("[80, 32]", error.Message);
        Assert.Contains("[64, 32]", error.Message);
    }

    [Fact]
    public void ATruncatedWeightsFileNamesTheFile()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        string weights = dir.File(Safetensors.SingleFileName);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 1000)]);
        var error = Assert.Throws<InvalidDataException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void AHeaderLengthPastTheEndNamesTheFile()
    {
        using var dir = new TempDirectory();
        using var model = TinyModels.Random(TinyModels.Llama());
        DecoderCheckpoint.Save(model, dir.Path);
        string weights = dir.File(Safetensors.SingleFileName);
        var bytes = File.ReadAllBytes(weights);
        BitConverter.GetBytes((ulong)bytes.Length * 2).CopyTo(bytes, 0);
        File.WriteAllBytes(weights, bytes);
        var error = Assert.Throws<InvalidDataException>(() => DecoderCheckpoint.Load(dir.Path));
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void ConfigJsonRoundTripsThroughTheHuggingFaceKeys()
    {
        var config = TinyModels.Llama() with { RopeScaling = new RopeScaling { RopeType = "llama3", Factor = 8 }, TieWordEmbeddings = true, EosTokenIds = [1, 5] };
        var parsed = ModelConfig.FromJson(JsonNode.Parse(config.ToJson().ToJsonString())!.AsObject());
        Assert.Equal(config.RopeScaling, parsed.RopeScaling);
        Assert.Equal(config.EosTokenIds, parsed.EosTokenIds);
        Assert.Equal(config.ToJson().ToJsonString(), parsed.ToJson().ToJsonString());
        Assert.True(parsed.TieWordEmbeddings);
    }
}
