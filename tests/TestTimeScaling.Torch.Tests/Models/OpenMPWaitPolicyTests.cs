using System.Diagnostics;
using TestTimeScaling.Torch.Tests.Fuzzing;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// libtorch's OpenMP runtime reads OMP_WAIT_POLICY once, when it loads: checked in fresh child processes (the
/// FuzzHost), since in this test host libtorch may have loaded before or after this library.
/// </summary>
public sealed class OpenMPWaitPolicyTests
{
    [Fact]
    public void Touching_the_library_before_torch_sets_passive_natively_before_libgomp_loads()
    {
        var (answer, value, mappedBefore, mappedAfter) = Check("library-first");

        Assert.True(answer);
        Assert.Equal("PASSIVE", value);
        Assert.False(mappedBefore); // so libgomp read PASSIVE when it loaded
        Assert.True(mappedAfter);
    }

    [Fact]
    public void After_libtorch_has_loaded_nothing_is_changed_and_the_call_says_so()
    {
        var (answer, value, mappedBefore, mappedAfter) = Check("torch-first");

        Assert.False(answer);
        Assert.True(mappedBefore);
        Assert.Equal("<unset>", value);
        Assert.True(mappedAfter);
    }

    [Theory]
    [InlineData("OMP_WAIT_POLICY", "ACTIVE", "ACTIVE")]
    [InlineData("GOMP_SPINCOUNT", "300000", "<unset>")]
    public void A_policy_the_process_chose_is_kept(string variable, string setting, string expected)
    {
        var (answer, value, _, _) = Check("library-first", (variable, setting));

        Assert.False(answer);
        Assert.Equal(expected, value);
    }

    private static (bool Answer, string Value, bool MappedBefore, bool MappedAfter) Check(string order, (string Name, string Value)? environment = null)
    {
        var start = new ProcessStartInfo(FuzzHostProcess.DotnetPath()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TestTimeScaling.FuzzHost.dll"));
        start.ArgumentList.Add("openmp-policy");
        start.ArgumentList.Add(order);
        // The test host's own setting (if any) must not leak into the child's answer.
        start.Environment.Remove("OMP_WAIT_POLICY");
        start.Environment.Remove("GOMP_SPINCOUNT");
        if (environment is { } e) start.Environment[e.Name] = e.Value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "the child did not finish");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {stderr.Result}");
        var parts = output.Trim().Split(' ');
        Assert.Equal(4, parts.Length);
        return (bool.Parse(parts[0]), parts[1], bool.Parse(parts[2]), bool.Parse(parts[3]));
    }
}
