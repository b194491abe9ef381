using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// The prompt stored and read once (issue 11, item 1), on the 124.7M-parameter peer model: a 512-token prompt forked to
/// n rows. <see cref="Prefill512"/> is one 512-token prefill (the fork's yardstick), <see cref="Fork"/> the fork itself
/// (the rows come to share the prompt's segment), <see cref="DecodeStep512"/> one n-row decode step over the forked
/// 512 tokens, <see cref="DecodeStep32"/> the same step over a forked 32-token prompt (both forked as the engine forks,
/// so with <see cref="KvCache.DefaultMinSharedTokens"/>), <see cref="DecodeStepPrivate512"/> and
/// <see cref="DecodeStepPrivate32"/> the steps over n private copies (what every row read before sharing), and
/// <see cref="DecodeStepShared32"/> the 32-token step with sharing forced (what cascade attention costs on a short
/// prompt). <see cref="Report"/> prints the same figures, plus the KV bytes held against the ideal, from one run.
/// </summary>
[MemoryDiagnoser]
public class SharedPrefixBenchmarks
{
    /// <summary>Prompt tokens.</summary>
    public const int PromptTokens = 512;

    /// <summary>Tokens each row generates (the cache capacity is prompt + these, as the engine sizes it).</summary>
    public const int NewTokens = 16;

    private const int ShortPrompt = 32;
    private LlamaDecoder _model = null!;
    private Tensor _prompt = null!, _shortPrompt = null!;
    private KvCache _prefilled = null!, _shortPrefilled = null!;
    private KvCache? _forkTarget;
    private KvCache _forked = null!, _forkedShort = null!, _sharedShort = null!, _private = null!, _privateShort = null!;

    /// <summary>Rows the prompt is forked to.</summary>
    [Params(1, 8, 64)]
    public int N { get; set; } = 64;

    /// <summary>Torch intra-op threads (the side-by-side suite's count unless a report asks for another).</summary>
    public int Threads { get; set; } = LlamaCppSideBySideBenchmarks.Threads;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        _model = LlamaDecoder.Create(PeerModels.Base, seed: 1);
        _prompt = Tokens(PromptTokens, 1);
        _shortPrompt = Tokens(ShortPrompt, 2);
        _prefilled = Prefilled(_prompt);
        _shortPrefilled = Prefilled(_shortPrompt);
        _forked = Forked(_prefilled);
        _forkedShort = Forked(_shortPrefilled);
        _sharedShort = Forked(_shortPrefilled, minSharedTokens: 0);
        _private = Copies(_prefilled);
        _privateShort = Copies(_shortPrefilled);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var cache in new[] { _prefilled, _shortPrefilled, _forked, _forkedShort, _sharedShort, _private, _privateShort }) cache.Dispose();
        _prompt.Dispose();
        _shortPrompt.Dispose();
        _model.Dispose();
    }

    /// <summary>One 512-token prefill into a fresh one-row cache.</summary>
    [Benchmark(Baseline = true)]
    public long Prefill512()
    {
        using var cache = Prefilled(_prompt);
        return cache.Lengths[0];
    }

    [IterationSetup(Target = nameof(Fork))]
    public void CopyPrefilled() => _forkTarget = _prefilled.CopyRows([0]);

    /// <summary>The fork: the prefilled row becomes n rows that share its 512 tokens.</summary>
    [Benchmark]
    public int Fork()
    {
        _forkTarget!.SelectRows(Enumerable.Repeat(0, N).ToList());
        return _forkTarget.RowCount;
    }

    [IterationCleanup(Target = nameof(Fork))]
    public void DisposeForked() => _forkTarget?.Dispose();

    /// <summary>One decode step of n rows over the forked 512-token prompt.</summary>
    [Benchmark]
    public long DecodeStep512() => Step(_forked);

    /// <summary>One decode step of n rows over a forked 32-token prompt.</summary>
    [Benchmark]
    public long DecodeStep32() => Step(_forkedShort);

    /// <summary>One decode step of n rows, each over its own copy of the 512 tokens.</summary>
    [Benchmark]
    public long DecodeStepPrivate512() => Step(_private);

    /// <summary>One decode step of n rows, each over its own copy of the 32 tokens.</summary>
    [Benchmark]
    public long DecodeStepPrivate32() => Step(_privateShort);

    /// <summary>One decode step of n rows sharing a 32-token prompt (sharing forced below the default threshold).</summary>
    [Benchmark]
    public long DecodeStepShared32() => Step(_sharedShort);

    /// <summary>
    /// Every figure from one process: the fork and the decode steps against one prefill, and the KV bytes held after
    /// each row generated <see cref="NewTokens"/> tokens, against the ideal (prompt once plus the generated tokens)
    /// and against a private copy per row. Timings are the fastest of <paramref name="repeats"/> rounds in which every
    /// measured operation runs once, in turn, so a change in the machine's load reaches all of them alike.
    /// </summary>
    public static void Report(TextWriter output, int threads = LlamaCppSideBySideBenchmarks.Threads, int repeats = 7)
    {
        output.WriteLine($"// {PeerModels.Base.NumHiddenLayers}-layer 124.7M peer model, fp32, {threads} torch thread(s), fastest of {repeats} interleaved rounds.");
        output.WriteLine($"| n | KV held after {NewTokens} tokens/row | ideal | held / ideal | private copies / ideal | fork / prefill 512 | step 512 / step 32 | step 512 private / step 32 | step 32 forced shared / step 32 private | prefill 512 | step 32 |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (int n in new[] { 1, 8, 64 })
        {
            var suite = new SharedPrefixBenchmarks { N = n, Threads = threads };
            suite.Setup();
            // Warm-up: first-call costs stay out of the rounds.
            suite.DecodeStep512();
            suite.DecodeStepPrivate512();
            suite.DecodeStepShared32();
            var rounds = new List<double[]>();
            for (int i = 0; i < repeats; i++)
            {
                suite.CopyPrefilled();
                double fork = Time(() => suite.Fork());
                suite.DisposeForked();
                rounds.Add([Time(() => suite.Prefill512()), fork, Time(() => suite.DecodeStep512()), Time(() => suite.DecodeStep32()),
                    Time(() => suite.DecodeStepPrivate512()), Time(() => suite.DecodeStepPrivate32()), Time(() => suite.DecodeStepShared32())]);
            }
            double Fastest(int column) => rounds.Min(r => r[column]);
            double prefill = Fastest(0), forkTime = Fastest(1), step = Fastest(2), shortStep = Fastest(3);
            double copies = Fastest(4), shortCopies = Fastest(5), shortShared = Fastest(6);
            long held = suite.HeldAfterGenerating();
            long perToken = suite._forked.BytesPerToken;
            double ideal = (PromptTokens + (double)n * NewTokens) * perToken;
            double privateCopies = (double)n * (PromptTokens + NewTokens + 1) * perToken;
            output.WriteLine($"| {n} | {held / 1e6:F1} MB | {ideal / 1e6:F1} MB | {held / ideal:F3}x | {privateCopies / ideal:F1}x | " +
                $"{forkTime / prefill:P2} | {step / shortStep:F3}x | {copies / shortStep:F3}x | {shortShared / shortCopies:F3}x | {prefill:F0} ms | {shortStep:F1} ms |");
            suite.Cleanup();
        }
    }

    /// <summary>Bytes a fresh fork holds after every row generated <see cref="NewTokens"/> tokens.</summary>
    private long HeldAfterGenerating()
    {
        using var cache = Forked(_prefilled);
        for (int i = 0; i < NewTokens; i++) Step(cache, rewind: false);
        return cache.AllocatedBytes;
    }

    private long Step(KvCache cache, bool rewind = true)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = full(new long[] { cache.RowCount, 1 }, 7, dtype: ScalarType.Int64);
        var logits = _model.Forward(ids, cache, Enumerable.Repeat(1L, cache.RowCount).ToArray());
        // Back to where it was, so every timed step reads the same number of keys.
        if (rewind)
            for (int r = 0; r < cache.RowCount; r++) cache.Truncate(r, cache.Lengths[r] - 1);
        return logits.shape[0];
    }

    private KvCache Prefilled(Tensor prompt)
    {
        // The cache outlives the pass's dispose scope, so it is made outside it.
        var cache = new KvCache(_model.Config, 1, (int)prompt.shape[1] + NewTokens, _model.Device, _model.DType);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _model.Forward(prompt, cache, [prompt.shape[1]]);
        return cache;
    }

    private KvCache Forked(KvCache prefilled, int minSharedTokens = KvCache.DefaultMinSharedTokens)
    {
        var cache = prefilled.CopyRows([0]);
        cache.MinSharedTokens = minSharedTokens;
        cache.SelectRows(Enumerable.Repeat(0, N).ToList());
        return cache;
    }

    /// <summary>n private copies of the one row: each CopyRows of a single row is a plain copy (a row is shared only when listed twice).</summary>
    private KvCache Copies(KvCache prefilled) => KvCache.Concatenate(Enumerable.Range(0, N).Select(_ => prefilled.CopyRows([0])).ToList());

    private static Tensor Tokens(int count, int seed) =>
        tensor(Enumerable.Range(0, count).Select(i => (long)(3 + (i * 7919 + seed * 104729) % 31000)).ToArray(), [1, count], dtype: ScalarType.Int64);

    private static double Time(Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalMilliseconds;
    }
}
