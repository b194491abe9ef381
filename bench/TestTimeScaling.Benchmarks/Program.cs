using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TestTimeScaling.Benchmarks;

// In-process: the benchmark runs in this (already libstdc++-patched) build, and torch's native
// threads are not re-created per process. ShortRun keeps the whole suite to a few minutes on 2 cores.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddColumn(new TokensPerSecondColumn());
BenchmarkSwitcher.FromAssembly(typeof(DecodeThroughputBenchmarks).Assembly).Run(args, config);
