using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.FuzzHost;

/// <summary>
/// What libtorch's OpenMP runtime sees of <c>OMP_WAIT_POLICY</c> in a fresh process, when this library is touched
/// before the first torch call ("library-first") or after it ("torch-first"). Prints one line:
/// <c>{PreferPassive's answer} {the native value or &lt;unset&gt;} {libgomp mapped before the library's torch call} {after it}</c>.
/// </summary>
internal static partial class OpenMPPolicyCheck
{
    // Run itself names no type of the library: the runtime runs a module's initializer as soon as a method that names
    // one of its types is compiled, so "torch-first" needs the torch call in a method compiled before any of those.
    public static int Run(string order)
    {
        bool torchFirst = order == "torch-first";
        if (torchFirst) LoadTorch();
        bool answer = Ask();
        bool mappedBefore = LibgompMapped(); // library-first: whether libgomp had loaded before this process's torch call
        if (!torchFirst) LoadTorch();
        // Read natively: .NET's own copy of the environment does not see setenv.
        string value = Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY")) ?? "<unset>";
        Console.WriteLine($"{answer} {value} {mappedBefore} {LibgompMapped()}");
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadTorch()
    {
        using var one = ones(1);
        using var product = one.matmul(one);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Ask() => OpenMPWaitPolicy.PreferPassive();

    private static bool LibgompMapped() => File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal));

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);
}
