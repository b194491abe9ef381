using TestTimeScaling.Torch;
using static TorchSharp.torch;
using static TestTimeScaling.Torch.Tests.Loading.SafetensorsFiles;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>The reader against files built byte by byte, as another writer would lay them out.</summary>
public sealed class SafetensorsLayoutTests
{
    private const string Header =
        """{"__metadata__":{"format":"pt","note":"hand-built"},"b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h":{"dtype":"BF16","shape":[2,1],"data_offsets":[16,20]},"z":{"dtype":"F16","shape":[0],"data_offsets":[20,20]}}""";

    // a = [1.5, -2], b = [7], h = bf16 [1.5, -3] (0x3FC0, 0xC040), z = empty.
    private static byte[] Data() => [.. Floats(1.5f, -2f), .. Longs(7), .. Halves(0x3FC0, 0xC040)];

    [Fact]
    public void HandBuiltFileParsesToTheRightValues()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        WriteRaw(dir.File("hand.safetensors"), Header, Data());

        var tensors = Safetensors.LoadFile(dir.File("hand.safetensors"));

        Assert.Equal(["a", "b", "h", "z"], tensors.Keys.Order());
        Assert.Equal(new[] { 1.5f, -2f }, tensors["a"].data<float>().ToArray());
        Assert.Equal(ScalarType.Int64, tensors["b"].dtype);
        Assert.Equal(7L, tensors["b"].item<long>());
        Assert.Equal(ScalarType.Float32, tensors["h"].dtype);
        Assert.Equal(new long[] { 2, 1 }, tensors["h"].shape);
        Assert.Equal(new[] { 1.5f, -3f }, tensors["h"].reshape(-1).data<float>().ToArray());
        Assert.Equal(new long[] { 0 }, tensors["z"].shape);
    }

    [Fact]
    public void HandBuiltFileKeepsStoredTypesWhenAsked()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        WriteRaw(dir.File("hand.safetensors"), Header, Data());

        var tensors = Safetensors.LoadFile(dir.File("hand.safetensors"), dtype: null);

        Assert.Equal(ScalarType.BFloat16, tensors["h"].dtype);
        Assert.Equal(ScalarType.Float16, tensors["z"].dtype);
        Assert.Equal(new[] { 1.5f, -3f }, tensors["h"].to(ScalarType.Float32).reshape(-1).data<float>().ToArray());
    }

    [Fact]
    public void WrittenBytesFollowTheFormat()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();

        Safetensors.SaveFile(dir.File("w.safetensors"), new Dictionary<string, Tensor>
        {
            ["a"] = tensor(new[] { 1.5f, -2f }),
            ["b"] = tensor(new[] { 7L }),
        });

        byte[] bytes = File.ReadAllBytes(dir.File("w.safetensors"));
        string header = ReadHeader(dir.File("w.safetensors"));
        // I64 (8-byte elements) goes first; the header is space-padded to a multiple of 8.
        Assert.Equal(
            """{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""",
            header.TrimEnd(' '));
        Assert.Equal(0, header.Length % 8);
        Assert.Equal([.. Longs(7), .. Floats(1.5f, -2f)], bytes[(8 + header.Length)..]);
    }
}
