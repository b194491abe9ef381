namespace TestTimeScaling.Torch.Tests.Reliability;

/// <summary>
/// The engine runs decode steps on one thread while others allocate (the server, the main job's lanes), so a
/// temporary TorchSharp Scalar can be finalized in the middle of the native call that reads it (see
/// <see cref="ScalarLifetimeScan"/>). The libraries that call libtorch must hold every Scalar for the whole call.
/// </summary>
public sealed class ScalarLifetimeTests
{
    [Theory]
    [InlineData("TestTimeScaling.Torch")]
    [InlineData("TestTimeScaling.Training")]
    public void Library_code_passes_no_temporary_scalar_to_libtorch(string project)
    {
        var found = ScalarLifetimeScan.FindTemporaryScalars(Path.Combine(RepositoryRoot(), "src", project));
        Assert.True(found.Count == 0, $"{found.Count} temporary Scalars in src/{project}:\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_scan_finds_implicit_explicit_and_hidden_temporaries()
    {
        // A scan that finds nothing proves nothing: it must see both kinds in a file written to contain them.
        string dir = Directory.CreateTempSubdirectory("scalar-scan").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Sample.cs"), """
                using TorchSharp;
                using static TorchSharp.torch;
                internal static class Sample
                {
                    private static readonly Scalar Kept = 2.0.ToScalar();
                    public static Tensor Implicit(Tensor x) => x + 1e-5;
                    public static Tensor Explicit(Tensor x) => x.mul(3.0.ToScalar());
                    public static Tensor Held(Tensor x) { using var s = 4.0.ToScalar(); return x.mul(s).add(Kept, s).sub(x); }
                    public static Tensor Sum(Tensor x, Tensor y) => x + y;
                }
                """);
            var found = ScalarLifetimeScan.FindTemporaryScalars(dir);
            Assert.True(found.Count == 3, string.Join("\n", found));
            Assert.Contains(found, f => f.Contains("x + 1e-5", StringComparison.Ordinal));
            Assert.Contains(found, f => f.Contains("3.0.ToScalar()", StringComparison.Ordinal));
            Assert.Contains(found, f => f.Contains("x + y", StringComparison.Ordinal)); // add(y, alpha: 1) inside TorchSharp
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TestTimeScaling.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
