using static TorchSharp.torch;
using static TestTimeScaling.Torch.Tests.Loading.SafetensorsFiles;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>
/// Header and index inputs that JSON parsers accept but a safetensors reader must not: invalid UTF-8, escaped
/// lone surrogates, duplicate fields, nulls, wrong types, and shard paths or links that leave the directory.
/// </summary>
public sealed class SafetensorsStrictnessTests
{
    private const string OneFloat = "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]";

    private static InvalidDataException HeaderFails(TempDirectory dir, string header, byte[] data, string mentioned)
    {
        string path = dir.File("x.safetensors");
        WriteRaw(path, header, data);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadFile(path));
        Assert.Contains("x.safetensors", ex.Message);
        Assert.Contains(mentioned, ex.Message);
        return ex;
    }

    [Fact]
    public void InvalidUtf8InATensorNameIsInvalidData()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.safetensors");
        byte[] header = [.. "{\"a"u8, 0xC3, 0x28, .. "\":{"u8, .. System.Text.Encoding.UTF8.GetBytes(OneFloat), .. "}}"u8];
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((ulong)header.Length));
            stream.Write(header);
            stream.Write(new byte[4]);
        }
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadFile(path));
        Assert.Contains("UTF-8", ex.Message);
    }

    [Fact]
    public void AnEscapedLoneSurrogateIsInvalidData()
    {
        using var dir = new TempDirectory();
        HeaderFails(dir, "{\"a\\ud800\":{" + OneFloat + "}}", new byte[4], "invalid safetensors header");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", "\"dtype\" twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[null,4]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":null,"shape":[1],"data_offsets":[0,4]}}""", "dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}""", "shape")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "shape")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", "too large")]
    [InlineData("""{"a":null}""", "null")]
    [InlineData("""{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "__metadata__")]
    [InlineData("""{"__metadata__":{"k":"v","k":"w"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "twice")]
    [InlineData("""{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "empty name")]
    [InlineData("""{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}""", "unknown dtype")]
    public void MalformedTensorEntriesNameTheFileAndField(string header, string mentioned)
    {
        using var dir = new TempDirectory();
        HeaderFails(dir, header, new byte[4], mentioned);
    }

    [Fact]
    public void DeepNestingIsInvalidDataNotAStackOverflow()
    {
        using var dir = new TempDirectory();
        HeaderFails(dir, "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}", [], "not valid JSON");
    }

    [Theory]
    [InlineData("""{"weight_map":{"a":"model-00001-of-00002.safetensors","a":"model-00002-of-00002.safetensors"}}""", "twice")]
    [InlineData("""{"weight_map":{"a":null}}""", "'a'")]
    [InlineData("""{"weight_map":null}""", "weight_map")]
    [InlineData("""{"metadata":null,"weight_map":{}}""", "metadata")]
    [InlineData("""{"metadata":{"total_size":"12"},"weight_map":{}}""", "total_size")]
    [InlineData("""{"weight_map":{"a":"/etc/passwd"}}""", "/etc/passwd")]
    [InlineData("""{"weight_map":{"a":"sub/../model.safetensors"}}""", "plain file name")]
    [InlineData("""{"weight_map":{"a":"..\\model.safetensors"}}""", "plain file name")]
    [InlineData("""{"weight_map":{"a\ud800":"m.safetensors"}}""", "not valid text")]
    public void MalformedIndexesNameTheFileAndField(string index, string mentioned)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(Safetensors.IndexFileName), index);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains(Safetensors.IndexFileName, ex.Message);
        Assert.Contains(mentioned, ex.Message);
    }

    [Fact]
    public void AShardLinkedFromOutsideTheDirectoryIsRefused()
    {
        using var scope = NewDisposeScope();
        using var outside = new TempDirectory();
        using var dir = new TempDirectory();
        Safetensors.SaveFile(outside.File("secret.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(2) });
        File.CreateSymbolicLink(dir.File("shard.safetensors"), outside.File("secret.safetensors"));
        File.WriteAllText(dir.File(Safetensors.IndexFileName), """{"weight_map":{"a":"shard.safetensors"}}""");

        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("shard.safetensors", ex.Message);
        Assert.Contains("outside the model directory", ex.Message);
        File.WriteAllText(dir.File(ModelDirectory.ConfigFileName), "{}"); // Validate looks for config.json first.
        Assert.Contains("outside the model directory", Assert.Throws<InvalidDataException>(() => ModelDirectory.Validate(dir.Path)).Message);
    }

    [Fact]
    public void ASingleWeightsFileLinkedFromOutsideIsRefused()
    {
        using var scope = NewDisposeScope();
        using var outside = new TempDirectory();
        using var dir = new TempDirectory();
        Safetensors.SaveFile(outside.File("secret.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(2) });
        File.CreateSymbolicLink(dir.File(Safetensors.SingleFileName), outside.File("secret.safetensors"));

        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("outside the model directory", ex.Message);
    }

    [Fact]
    public void LinksInsideTheDirectoryAndIntoTheHubCacheBlobsAreAllowed()
    {
        using var scope = NewDisposeScope();
        using var root = new TempDirectory();
        // The Hugging Face hub cache: snapshots/<revision>/model.safetensors -> ../../blobs/<hash>.
        string blobs = root.Sub("models--org--tiny/blobs");
        string snapshot = root.Sub("models--org--tiny/snapshots/0123abcd");
        Safetensors.SaveFile(Path.Combine(blobs, "3f2a"), new Dictionary<string, Tensor> { ["a"] = ones(2) });
        File.CreateSymbolicLink(Path.Combine(snapshot, Safetensors.SingleFileName), "../../blobs/3f2a");
        using (var loaded = new DisposableDictionary(Safetensors.LoadDirectory(snapshot)))
            Assert.Equal(2, loaded.Tensors["a"].sum().item<float>());

        // A link to another file of the same directory.
        string plain = root.Sub("plain");
        Safetensors.SaveFile(Path.Combine(plain, "real.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(3) });
        File.CreateSymbolicLink(Path.Combine(plain, "shard.safetensors"), "real.safetensors");
        File.WriteAllText(Path.Combine(plain, Safetensors.IndexFileName), """{"weight_map":{"a":"shard.safetensors"}}""");
        using (var loaded = new DisposableDictionary(Safetensors.LoadDirectory(plain)))
            Assert.Equal(3, loaded.Tensors["a"].sum().item<float>());
    }

    [Fact]
    public void AShardWithATensorTheIndexDoesNotListIsRefusedBeforeReadingData()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        Safetensors.SaveFile(dir.File("one.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(4), ["b"] = ones(4) });
        File.WriteAllText(dir.File(Safetensors.IndexFileName), """{"weight_map":{"a":"one.safetensors"}}""");

        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("does not list", ex.Message);
    }

    private sealed class DisposableDictionary(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (Tensor tensor in Tensors.Values) tensor.Dispose();
        }
    }
}
