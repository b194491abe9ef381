using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TestTimeScaling.Torch;

/// <summary>
/// Lets libtorch's OpenMP threads (libgomp on Linux) sleep when idle instead of spinning, unless the process chose a
/// policy itself. Runs by itself as this library's module initializer, which the runtime runs as soon as a method that
/// names one of the library's types is compiled, so usually before the app's first torch call; an app that calls
/// TorchSharp before that (from a method that names none of them) calls <see cref="PreferPassive"/> first thing.
/// </summary>
/// <remarks>
/// <para>By default libgomp's threads spin for a while after every parallel torch op. A decode step's products run on
/// this library's own kernel threads, and the torch ops around the steps (the prompt's prefill, the engine's per-step
/// tensors) left OpenMP threads spinning on the same cores. On the 2-core machine, 64-token generations of the 124.7M
/// model at 8 rows took 2,548 ms against 2,888 ms with libgomp's default (means of 4 alternating runs each; batch-1
/// within noise; docs/benchmarks.md, "OpenMP's idle threads").</para>
/// <para>libgomp reads its environment once, when it is loaded, which happens with libtorch on the first torch call,
/// so the variable is set natively (<see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only
/// .NET's copy on Unix) and only while libgomp is not yet loaded. A process that sets <c>OMP_WAIT_POLICY</c> or
/// <c>GOMP_SPINCOUNT</c> itself keeps what it has (<c>OMP_WAIT_POLICY=ACTIVE</c> opts out).</para>
/// </remarks>
public static unsafe class OpenMPWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

    // CA2255 warns libraries off module initializers; this is the one moment that precedes the library's torch calls.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => PreferPassive();

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> for libtorch's OpenMP runtime; true when it will take effect (Linux, libgomp
    /// not loaded yet, no policy chosen by the process), false when nothing was changed.
    /// </summary>
    public static bool PreferPassive()
    {
        if (!OperatingSystem.IsLinux()) return false; // the libtorch builds for other systems use other runtimes
        if (Environment.GetEnvironmentVariable(Variable) is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null) return false;
        if (LibgompLoaded() || !NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "setenv", out var setenv)) return false;
        // overwrite = 0: a value set natively (by a host that embeds .NET) is kept.
        fixed (byte* name = "OMP_WAIT_POLICY\0"u8, value = "PASSIVE\0"u8)
            ((delegate* unmanaged<byte*, byte*, int, int>)setenv)(name, value, 0);
        return NativeValue() == "PASSIVE";
    }

    /// <summary>The variable as native code sees it (null when unset or not on Linux): what libgomp reads when it loads.</summary>
    internal static string? NativeValue()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
        if (!NativeLibrary.TryGetExport(libc, "getenv", out var getenv)) return null;
        fixed (byte* name = "OMP_WAIT_POLICY\0"u8)
            return Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*, byte*>)getenv)(name));
    }

    /// <summary>Whether libgomp is mapped into the process already (it has read its environment then).</summary>
    internal static bool LibgompLoaded()
    {
        try { return File.ReadLines("/proc/self/maps").Any(line => line.Contains("libgomp", StringComparison.Ordinal)); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
