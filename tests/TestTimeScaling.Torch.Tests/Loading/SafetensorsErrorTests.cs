using TestTimeScaling.Torch;
using static TorchSharp.torch;
using static TestTimeScaling.Torch.Tests.Loading.SafetensorsFiles;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>Every kind of bad input raises its own exception, naming the file and, where one is at fault, the tensor.</summary>
public sealed class SafetensorsErrorTests
{
    private static T LoadFails<T>(string path) where T : Exception
    {
        var ex = Assert.Throws<T>(() => Safetensors.LoadFile(path));
        Assert.Contains(Path.GetFileName(path), ex.Message);
        return ex;
    }

    [Fact]
    public void MissingFile()
    {
        using var dir = new TempDirectory();
        var ex = LoadFails<FileNotFoundException>(dir.File("absent.safetensors"));
        Assert.Equal(dir.File("absent.safetensors"), ex.FileName);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("short.safetensors"), [1, 2, 3, 4, 5]);
        Assert.Contains("too short", LoadFails<InvalidDataException>(dir.File("short.safetensors")).Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("long.safetensors"), "{}", [], declaredHeaderLength: 1000);
        Assert.Contains("past the end", LoadFails<InvalidDataException>(dir.File("long.safetensors")).Message);
    }

    [Fact]
    public void HeaderThatIsNotJson()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("json.safetensors"), "{not json at all", []);
        Assert.Contains("not valid JSON", LoadFails<InvalidDataException>(dir.File("json.safetensors")).Message);
    }

    [Fact]
    public void HeaderThatIsNotAnObject()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("array.safetensors"), "[1, 2]", []);
        LoadFails<InvalidDataException>(dir.File("array.safetensors"));
    }

    [Fact]
    public void UnknownDType()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("dtype.safetensors"), """{"weird.weight":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        var ex = LoadFails<InvalidDataException>(dir.File("dtype.safetensors"));
        Assert.Contains("weird.weight", ex.Message);
        Assert.Contains("F17", ex.Message);
    }

    [Fact]
    public void ValidDTypeTorchSharpCannotHold()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("u16.safetensors"), """{"ids":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}""", new byte[4]);
        var ex = LoadFails<NotSupportedException>(dir.File("u16.safetensors"));
        Assert.Contains("ids", ex.Message);
        Assert.Contains("U16", ex.Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        string path = dir.File("cut.safetensors");
        Safetensors.SaveFile(path, new Dictionary<string, Tensor> { ["first"] = ones(4), ["last.weight"] = ones(4, dtype: ScalarType.Float16) });
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var ex = LoadFails<InvalidDataException>(path);
        Assert.Contains("last.weight", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void OffsetsThatDoNotMatchShapeAndDType()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("size.safetensors"), """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]);
        var ex = LoadFails<InvalidDataException>(dir.File("size.safetensors"));
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("needs 12", ex.Message);
    }

    [Fact]
    public void OffsetsOutsideTheDataArea()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("outside.safetensors"), """{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[8]);
        Assert.Contains("'w'", LoadFails<InvalidDataException>(dir.File("outside.safetensors")).Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("overlap.safetensors"),
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
        Assert.Contains("overlaps", LoadFails<InvalidDataException>(dir.File("overlap.safetensors")).Message);
    }

    [Fact]
    public void BytesNoTensorDescribes()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("trailing.safetensors"), """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[12]);
        Assert.Contains("trailing", LoadFails<InvalidDataException>(dir.File("trailing.safetensors")).Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""")]
    [InlineData("""{"w":"F32"}""")]
    public void MalformedTensorEntries(string header)
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("entry.safetensors"), header, new byte[4]);
        Assert.Contains("'w'", LoadFails<InvalidDataException>(dir.File("entry.safetensors")).Message);
    }

    [Fact]
    public void MetadataThatIsNotStrings()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("meta.safetensors"), """{"__metadata__":{"step":5}}""", []);
        Assert.Contains("__metadata__", LoadFails<InvalidDataException>(dir.File("meta.safetensors")).Message);
    }

    [Fact]
    public void MissingDirectoryAndMissingWeights()
    {
        using var dir = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => Safetensors.LoadDirectory(dir.File("nowhere")));
        var ex = Assert.Throws<FileNotFoundException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void ShardNamedInTheIndexIsMissing()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        Safetensors.SaveDirectory(dir.Path, new Dictionary<string, Tensor> { ["a"] = ones(4), ["b"] = ones(4) }, maxShardBytes: 16);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));

        var ex = Assert.Throws<FileNotFoundException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
        Assert.Contains("model.safetensors.index.json", ex.Message);
        Assert.Equal(dir.File("model-00002-of-00002.safetensors"), ex.FileName);
    }

    [Fact]
    public void IndexThatPlacesATensorInTheWrongShard()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        Safetensors.SaveDirectory(dir.Path, new Dictionary<string, Tensor> { ["a"] = ones(4), ["b"] = ones(4) }, maxShardBytes: 16);
        File.WriteAllText(dir.File("model.safetensors.index.json"),
            """{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}""");

        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("'c'", ex.Message);
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [Theory]
    [InlineData("""{"weight_map":{"a":"../elsewhere.safetensors"}}""", "'a'")]
    [InlineData("""{"weight_map":{"a":5}}""", "'a'")]
    [InlineData("""{"metadata":{}}""", "weight_map")]
    [InlineData("""{"weight_map": """, "not valid JSON")]
    public void MalformedIndex(string index, string mentioned)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("model.safetensors.index.json"), index);

        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.LoadDirectory(dir.Path));
        Assert.Contains("model.safetensors.index.json", ex.Message);
        Assert.Contains(mentioned, ex.Message);
    }

    [Fact]
    public void SavingRejectsWhatSafetensorsCannotHold()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();

        var complexEx = Assert.Throws<ArgumentException>(() => Safetensors.SaveFile(dir.File("c.safetensors"),
            new Dictionary<string, Tensor> { ["z"] = zeros(2, dtype: ScalarType.ComplexFloat32) }));
        Assert.Contains("'z'", complexEx.Message);
        Assert.Throws<ArgumentException>(() => Safetensors.SaveFile(dir.File("m.safetensors"),
            new Dictionary<string, Tensor> { ["__metadata__"] = zeros(2) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Safetensors.SaveDirectory(dir.Path,
            new Dictionary<string, Tensor> { ["x"] = zeros(2) }, maxShardBytes: 0));
        Assert.False(File.Exists(dir.File("c.safetensors")));
    }

    [Fact]
    public void HeaderWithDuplicateTensorNames()
    {
        using var dir = new TempDirectory();
        WriteRaw(dir.File("dup.safetensors"),
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.Contains("'a'", LoadFails<InvalidDataException>(dir.File("dup.safetensors")).Message);
    }

    [Fact]
    public void NonUtf8HeaderIsReportedNotCrashed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bin.safetensors");
        // Length 4, then "{", two bytes that are not UTF-8, "}".
        File.WriteAllBytes(path, [4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D]);
        LoadFails<InvalidDataException>(path);
    }
}
