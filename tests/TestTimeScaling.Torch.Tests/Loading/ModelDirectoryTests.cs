using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Loading;

public sealed class ModelDirectoryTests
{
    private static void MakeComplete(TempDirectory dir)
    {
        File.WriteAllText(dir.File("config.json"), "{}");
        File.WriteAllText(dir.File("tokenizer.json"), "{}");
        File.WriteAllBytes(dir.File("model.safetensors"), new byte[16]);
    }

    [Fact]
    public void CompleteDirectoryPasses()
    {
        using var dir = new TempDirectory();
        MakeComplete(dir);
        ModelDirectory.Validate(dir.Path);
    }

    [Fact]
    public void MissingDirectory()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<DirectoryNotFoundException>(() => ModelDirectory.Validate(dir.File("gone")));
        Assert.Contains("gone", ex.Message);
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("tokenizer.json")]
    [InlineData("model.safetensors")]
    public void EachMissingFileIsNamed(string missing)
    {
        using var dir = new TempDirectory();
        MakeComplete(dir);
        File.Delete(dir.File(missing));

        var ex = Assert.Throws<FileNotFoundException>(() => ModelDirectory.Validate(dir.Path));
        Assert.Contains(missing, ex.Message);
        Assert.Equal(dir.File(missing), ex.FileName);
    }

    [Fact]
    public void PyTorchPickleWeightsGetAHint()
    {
        using var dir = new TempDirectory();
        MakeComplete(dir);
        File.Delete(dir.File("model.safetensors"));
        File.WriteAllBytes(dir.File("pytorch_model.bin"), new byte[4]);

        var ex = Assert.Throws<FileNotFoundException>(() => ModelDirectory.Validate(dir.Path));
        Assert.Contains("pytorch_model.bin", ex.Message);
    }

    [Fact]
    public void ShardedWeightsAreCheckedShardByShard()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        MakeComplete(dir);
        Safetensors.SaveDirectory(dir.Path, new Dictionary<string, Tensor> { ["a"] = ones(4), ["b"] = ones(4) }, maxShardBytes: 16);
        ModelDirectory.Validate(dir.Path);

        File.Delete(dir.File("model-00001-of-00002.safetensors"));
        var ex = Assert.Throws<FileNotFoundException>(() => ModelDirectory.Validate(dir.Path));
        Assert.Contains("model-00001-of-00002.safetensors", ex.Message);
    }
}
