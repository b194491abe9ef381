using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TestTimeScaling.Benchmarks;
using TestTimeScaling.Torch;

// Before any torch call: libtorch's OpenMP threads sleep when idle instead of spinning beside the managed kernels.
OpenMPWaitPolicy.PreferPassive();

if (args is ["--decode-kernels", ..])
{
    // Every decode-step product on the peer model's shapes in one process (docs/benchmarks.md, "Decode kernels").
    DecodeKernelBenchmarks.RunQuick();
    return;
}

if (args is ["--gemv-step", ..])
{
    // The weight products of one decode step through Gemv at 1-16 rows against the 2-thread read of the same bytes.
    if (args.Length > 3) KernelThreads.SpinWindow = TimeSpan.FromMicroseconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    GemvStepBenchmarks.Run(args.Length > 1 ? args[1] : "124.7M", args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}

if (args is ["--gemv-rows", ..])
{
    // A decode step's weight products at 1-64 rows: the block shapes against each other and libtorch: [model] [rounds] [threads].
    ManyRowGemv.Run(Console.Out, args.Length > 1 ? args[1] : "22.6M",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 4 ? [.. args[4].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture)).Where(r => r > 0)] : null);
    return;
}

if (args is ["--rows-step", ..])
{
    // Managed decode steps of many forked rows against their products alone and the torch path: [model] [rounds] [threads] [rows,..].
    ManyRowStep.Run(Console.Out, args.Length > 1 ? args[1] : "22.6M",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1,
        args.Length > 4 ? [.. args[4].Split(',').Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture))] : [1, 8, 64]);
    return;
}

if (args is ["--decode-step", ..])
{
    // Batch-1 and 8-row decode steps, kernels on and off, against the 1- and 2-thread roofline in one process.
    DecodeStepBenchmarks.Run(args.Length > 1 ? args[1] : "124.7M", args.Length > 2 ? int.Parse(args[2]) : 5);
    return;
}

if (args is ["--q8-kernels", ..])
{
    // Every projection of a peer model once, fp32 Gemv against Q8_0 GemvQ8 at 1 and 8 rows, with the roofline: [model] [rounds] [threads].
    QuantizedKernelPass.Run(Console.Out, args.Length > 1 ? args[1] : "124.7M",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2);
    return;
}

if (args is ["--peer-smoke-q8", ..])
{
    // Q8_0 decode against llama.cpp on the same Q8_0 weights, with the fp32 engine as the A/B reference: [rounds].
    QuantizedPeerSmoke.Run(Console.Out, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3);
    return;
}

if (args is ["--peer-smoke", ..])
{
    // One untimed-by-BenchmarkDotNet pass of the side-by-side suite: parity check and one run of each side per cell.
    foreach (string model in new[] { "22.6M", "124.7M" })
    foreach (int n in new[] { 1, 8, 64 })
    {
        var suite = new LlamaCppSideBySideBenchmarks { Model = model, N = n };
        suite.Setup();
        var clock = Stopwatch.StartNew();
        int ours = suite.Ours();
        double oursMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        int theirs = suite.LlamaCpp();
        double theirsMs = clock.Elapsed.TotalMilliseconds;
        Console.WriteLine($"{model} n={n}: ours {ours} tokens in {oursMs:F0} ms, llama.cpp {theirs} tokens in {theirsMs:F0} ms");
        suite.Cleanup();
    }
    return;
}

if (args is ["--batched-vs-sequential", ..])
{
    // n samples as one batched call against n single-sample calls (issue 11: >= 20x at n = 64 on the 22.6M model),
    // with the step times and roofline that bound the ratio, from one process: [model] [n] [threads].
    BatchedVsSequential.Run(Console.Out, args.Length > 1 ? args[1] : "22.6M",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2);
    return;
}

if (args is ["--draw", ..])
{
    // The draw per path before and after (one thread, then [threads]), the sampler per setting, and the exp floor,
    // at 1, 8 and 64 rows unless [rows] is given: [rows] [vocab] [threads].
    int[] drawRows = args.Length > 1 ? [int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)] : [1, 8, 64];
    TokenDrawBenchmarks.Run(Console.Out, drawRows,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 32000,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2);
    return;
}

if (args is ["--concurrent", ..])
{
    // n single-sample calls of different prompts at once against one after another (issue 11: >= 5x at n = 8):
    // [model] [n] [threads] [rounds].
    ConcurrentVsOneAfterAnother.Run(Console.Out, args.Length > 1 ? args[1] : "22.6M",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 8,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 3);
    return;
}

if (args is ["--shared-prefix", ..])
{
    // The shared-prefix figures (KV bytes against the ideal, fork and decode-step ratios) from one process;
    // an optional second argument sets torch's thread count (default: the side-by-side suite's 2).
    SharedPrefixBenchmarks.Report(Console.Out, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : LlamaCppSideBySideBenchmarks.Threads);
    return;
}

// In-process: the benchmark runs in this (already libstdc++-patched) build, and torch's native
// threads are not re-created per process. ShortRun keeps the whole suite to a few minutes on 2 cores;
// the long timeout lets the 124.7M-parameter cells of the side-by-side suite finish.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: false)))
    .AddColumn(new TokensPerSecondColumn());
BenchmarkSwitcher.FromAssembly(typeof(DecodeThroughputBenchmarks).Assembly).Run(args, config);
