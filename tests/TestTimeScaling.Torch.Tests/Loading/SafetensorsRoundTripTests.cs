using TestTimeScaling.Torch;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Loading;

public sealed class SafetensorsRoundTripTests
{
    // Values bf16 and fp16 hold exactly, so conversions can be checked against literals.
    private static readonly float[] HalfExact = [1.5f, -2.25f, 0.0078125f, 1024f];

    private static Dictionary<string, Tensor> SampleTensors() => new()
    {
        ["model.embed_tokens.weight"] = linspace(-3, 3, 12).reshape(3, 4),
        ["bf16"] = tensor(HalfExact).reshape(2, 2).to(ScalarType.BFloat16),
        ["f16"] = tensor(HalfExact).to(ScalarType.Float16),
        ["i64"] = tensor(new[] { long.MinValue, -1L, 0L, 42L, long.MaxValue }),
        ["f64"] = tensor(new[] { Math.PI, -Math.E }),
        ["i32"] = tensor(new[] { int.MinValue, 7, int.MaxValue }),
        ["i16"] = tensor(new short[] { short.MinValue, 3, short.MaxValue }),
        ["i8"] = tensor(new sbyte[] { -128, 0, 127 }),
        ["u8"] = tensor(new byte[] { 0, 200, 255 }),
        ["mask"] = tensor(new[] { true, false, true }),
        ["scalar"] = tensor(3.25f),
        ["empty"] = zeros(0, 3),
        // Not contiguous: must be written in logical order.
        ["transposed"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3).t(),
    };

    private static void AssertSame(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            Tensor loaded = actual[name];
            Assert.True(tensor.dtype == loaded.dtype, $"{name}: dtype {loaded.dtype}, expected {tensor.dtype}");
            Assert.Equal(tensor.shape, loaded.shape);
            Assert.True(tensor.eq(loaded).all().item<bool>(), $"{name}: values differ");
        }
    }

    [Fact]
    public void SingleFileRoundTripKeepsEveryTensorExactly()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var tensors = SampleTensors();

        Safetensors.SaveFile(dir.File("t.safetensors"), tensors);
        var loaded = Safetensors.LoadFile(dir.File("t.safetensors"), dtype: null);

        AssertSame(tensors, loaded);
    }

    [Fact]
    public void DefaultLoadConvertsHalfPrecisionToFloat32AndKeepsIntegers()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        Safetensors.SaveFile(dir.File("t.safetensors"), SampleTensors());

        var loaded = Safetensors.LoadFile(dir.File("t.safetensors"));

        Assert.Equal(ScalarType.Float32, loaded["bf16"].dtype);
        Assert.Equal(new long[] { 2, 2 }, loaded["bf16"].shape);
        Assert.Equal(HalfExact, loaded["bf16"].reshape(-1).data<float>().ToArray());
        Assert.Equal(ScalarType.Float32, loaded["f16"].dtype);
        Assert.Equal(HalfExact, loaded["f16"].data<float>().ToArray());
        Assert.Equal(ScalarType.Float32, loaded["f64"].dtype);
        Assert.Equal(ScalarType.Int64, loaded["i64"].dtype);
        Assert.Equal(new[] { long.MinValue, -1L, 0L, 42L, long.MaxValue }, loaded["i64"].data<long>().ToArray());
        Assert.Equal(ScalarType.Bool, loaded["mask"].dtype);
        Assert.Equal(ScalarType.Float32, loaded["scalar"].dtype);
        Assert.Empty(loaded["scalar"].shape);
        Assert.Equal(3.25f, loaded["scalar"].item<float>());
    }

    [Fact]
    public void LoadCanConvertToAnotherFloatingType()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        Safetensors.SaveFile(dir.File("t.safetensors"), SampleTensors());

        var loaded = Safetensors.LoadFile(dir.File("t.safetensors"), ScalarType.BFloat16);

        Assert.Equal(ScalarType.BFloat16, loaded["model.embed_tokens.weight"].dtype);
        Assert.Equal(ScalarType.BFloat16, loaded["f16"].dtype);
        Assert.Equal(ScalarType.Int32, loaded["i32"].dtype);
        Assert.Equal(HalfExact, loaded["f16"].to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void SavedFileIsDeterministicPaddedAndTaggedAsPyTorch()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var tensors = SampleTensors();
        // The same tensors, inserted in another order.
        var reversed = tensors.Reverse().ToDictionary(p => p.Key, p => p.Value);

        Safetensors.SaveFile(dir.File("a.safetensors"), tensors);
        Safetensors.SaveFile(dir.File("b.safetensors"), reversed);

        Assert.Equal(File.ReadAllBytes(dir.File("a.safetensors")), File.ReadAllBytes(dir.File("b.safetensors")));
        string header = SafetensorsFiles.ReadHeader(dir.File("a.safetensors"));
        Assert.Equal(0, (header.Length) % 8);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"}", header);

        var json = JsonNode.Parse(header)!.AsObject();
        // Larger elements first, so every tensor starts aligned to its element size.
        Assert.Equal("F64", json["f64"]!["dtype"]!.GetValue<string>());
        Assert.Equal(0, json["f64"]!["data_offsets"]![0]!.GetValue<long>());
        foreach (var (name, entry) in json.Where(p => p.Key != "__metadata__"))
        {
            long begin = entry!["data_offsets"]![0]!.GetValue<long>();
            int size = entry["dtype"]!.GetValue<string>() switch { "F64" or "I64" => 8, "F32" or "I32" => 4, "BF16" or "F16" or "I16" => 2, _ => 1 };
            Assert.True(begin % size == 0, $"{name} starts at {begin}, not aligned to {size}");
        }
    }

    [Fact]
    public void MetadataIsWrittenBesideTheFormat()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();

        Safetensors.SaveFile(dir.File("m.safetensors"), new Dictionary<string, Tensor> { ["x"] = ones(2) },
            new Dictionary<string, string> { ["step"] = "1000", ["seed"] = "7" });

        var metadata = JsonNode.Parse(SafetensorsFiles.ReadHeader(dir.File("m.safetensors")))!["__metadata__"]!.AsObject();
        Assert.Equal("pt", metadata["format"]!.GetValue<string>());
        Assert.Equal("1000", metadata["step"]!.GetValue<string>());
        Assert.Equal("7", metadata["seed"]!.GetValue<string>());
    }

    [Fact]
    public void ShardedDirectoryRoundTripsWithIndex()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        // Six 64-byte tensors under a 150-byte limit: two per shard, three shards.
        var tensors = Enumerable.Range(0, 6).ToDictionary(
            i => $"layers.{i}.weight", i => arange(16, dtype: ScalarType.Float32).reshape(4, 4) * (i + 1));

        Safetensors.SaveDirectory(dir.Path, tensors, maxShardBytes: 150);

        string[] shards = ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"];
        foreach (string shard in shards) Assert.True(File.Exists(dir.File(shard)), shard);
        Assert.False(File.Exists(dir.File("model.safetensors")));
        var index = JsonNode.Parse(File.ReadAllText(dir.File("model.safetensors.index.json")))!;
        Assert.Equal(6 * 64, index["metadata"]!["total_size"]!.GetValue<long>());
        var weightMap = index["weight_map"]!.AsObject();
        Assert.Equal(tensors.Keys.Order(), weightMap.Select(p => p.Key).Order());
        Assert.Equal(shards[0], weightMap["layers.0.weight"]!.GetValue<string>());
        Assert.Equal(shards[2], weightMap["layers.5.weight"]!.GetValue<string>());

        AssertSame(tensors, Safetensors.LoadDirectory(dir.Path, dtype: null));
    }

    [Fact]
    public void ShardedDirectoryKeepsHalfPrecisionAndIntegerTensors()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var tensors = SampleTensors();

        Safetensors.SaveDirectory(dir.Path, tensors, maxShardBytes: 32);

        Assert.True(File.Exists(dir.File("model.safetensors.index.json")));
        AssertSame(tensors, Safetensors.LoadDirectory(dir.Path, dtype: null));
        var converted = Safetensors.LoadDirectory(dir.Path);
        Assert.Equal(HalfExact, converted["bf16"].reshape(-1).data<float>().ToArray());
    }

    [Fact]
    public void SavingAgainReplacesTheOtherLayout()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var tensors = Enumerable.Range(0, 4).ToDictionary(i => $"w{i}", i => full(8, (float)i));

        Safetensors.SaveDirectory(dir.Path, tensors, maxShardBytes: 40);
        Assert.True(File.Exists(dir.File("model-00001-of-00004.safetensors")));

        Safetensors.SaveDirectory(dir.Path, tensors);
        Assert.True(File.Exists(dir.File("model.safetensors")));
        Assert.False(File.Exists(dir.File("model.safetensors.index.json")));
        Assert.Empty(Directory.GetFiles(dir.Path, "model-*-of-*.safetensors"));

        Safetensors.SaveDirectory(dir.Path, tensors, maxShardBytes: 80);
        Assert.False(File.Exists(dir.File("model.safetensors")));
        Assert.Equal(2, Directory.GetFiles(dir.Path, "model-*-of-00002.safetensors").Length);
        AssertSame(tensors, Safetensors.LoadDirectory(dir.Path));
    }

    [Fact]
    public void LoadDirectoryPrefersTheSingleFile()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();

        Safetensors.SaveDirectory(dir.Path, new Dictionary<string, Tensor> { ["x"] = ones(3) });

        var loaded = Safetensors.LoadDirectory(dir.Path);
        Assert.Equal(new[] { 1f, 1f, 1f }, loaded["x"].data<float>().ToArray());
    }
}
