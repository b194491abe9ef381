using TestTimeScaling.Arithmetic;
using TestTimeScaling.Samples.Scaling;
using TestTimeScaling.Torch;
using Xunit.Abstractions;

namespace TestTimeScaling.Samples.Tests;

/// <summary>
/// Problems run side by side give the study exactly what it gets one at a time: the lanes share nothing, so no float
/// depends on which problems run together or in which order they finish (docs/scaling-concurrency.md).
/// </summary>
public sealed class ConcurrentStudyTests(ITestOutputHelper output)
{
    private static readonly ScalingOptions SmallStudy = new()
    {
        Problems = 5,
        // Every kind of cell: parallel sampling, PRM and perfect-verifier selection, the step-level searches, and a
        // token-matched search that reads another cell's records, and the allocator rows that run across all problems.
        Strategies = ["single", "majority", "best-of-n", "allocator", "allocator-weighted", "beam-search", "beam-search-tokens", "particle-filtering", "best-of-n-perfect"],
        Budgets = [1, 4],
        Seed = 3,
    };

    [Fact]
    public async Task A_study_on_three_lanes_writes_the_cells_and_traces_of_a_study_on_one()
    {
        var (oneCells, oneSolved) = await RunAsync(lanes: 1);
        var (threeCells, threeSolved) = await RunAsync(lanes: 3);

        Assert.Equal(oneCells.Count, threeCells.Count);
        Assert.Equal(new ScalingRunner([new StudyLane(() => throw new InvalidOperationException(), ArithmeticStepVerifier.Instance)], SmallStudy).Cells().Count, oneCells.Count);
        for (int c = 0; c < oneCells.Count; c++)
        {
            var (a, b) = (oneCells[c], threeCells[c]);
            string cell = $"{a.Strategy} N={a.Budget}";
            Assert.Equal((a.Strategy, a.Budget), (b.Strategy, b.Budget));
            Assert.Equal(SmallStudy.Problems, b.Problems.Count);
            // Everything but the wall times, which are the only thing concurrency may change.
            Assert.True(a.Problems.Select(r => r with { Seconds = 0 }).SequenceEqual(b.Problems.Select(r => r with { Seconds = 0 })), $"{cell}: per-problem records differ");
            Assert.Equal(a.Accuracy, b.Accuracy);
            Assert.Equal(a.AccuracyByLevel, b.AccuracyByLevel);
            Assert.Equal((a.MeanGeneratedTokens, a.MeanPromptTokens, a.MeanForwardPasses, a.MeanVerifierCalls),
                (b.MeanGeneratedTokens, b.MeanPromptTokens, b.MeanForwardPasses, b.MeanVerifierCalls));
        }
        // The searches reach the listeners in the same order with the same texts and scores (the traces and report).
        Assert.Equal(oneSolved, threeSolved);
        Assert.Contains(oneCells, c => c.Accuracy.Mean > 0);
    }

    [Fact]
    public async Task A_problem_gets_the_same_record_whichever_other_problems_the_run_holds()
    {
        var all = ProblemSelection.Evenly(10);
        var options = SmallStudy with { Strategies = ["majority", "beam-search"], Budgets = [4] };
        var (first, _) = await RunAsync(lanes: 1, options, [all[0], all[1], all[7]]);
        var (second, _) = await RunAsync(lanes: 2, options, [all[7], all[3]]);
        Assert.Equal(2, first.Count);
        for (int c = 0; c < first.Count; c++)
            Assert.Equal(first[c].Problems[2] with { Seconds = 0 }, second[c].Problems[0] with { Seconds = 0 });
        // The seed follows the problem's id and the run's seed, never its place in the list.
        Assert.Equal(ScalingRunner.ProblemSeed(1, all[7].Id), ScalingRunner.ProblemSeed(1, all[7].Id));
        Assert.NotEqual(ScalingRunner.ProblemSeed(1, all[7].Id), ScalingRunner.ProblemSeed(2, all[7].Id));
        Assert.Equal(all.Count, all.Select(p => ScalingRunner.ProblemSeed(1, p.Id)).Distinct().Count());
    }

    [Fact]
    public async Task A_solve_that_fails_inside_libtorch_is_run_again_and_gives_what_a_clean_solve_gives()
    {
        var problem = ProblemSelection.Evenly(5)[2];
        var spec = StrategyCatalog.Find("beam-search")!;
        using var embedded = new EmbeddedLanes(1);
        var lane = embedded.Lanes[0];
        var clean = await new ScalingRunner([lane], SmallStudy).SolveAsync(lane, spec, 4, problem, CancellationToken.None);

        // The third sampler call of the whole lane fails as TorchSharp's freed scalar does; the retry starts over.
        int calls = 0;
        var flaky = lane with { NewSampler = () => new FailingOnce(lane.NewSampler(), () => Interlocked.Increment(ref calls) == 3) };
        var retried = new List<string>();
        var runner = new ScalingRunner([flaky], SmallStudy with { Strategies = ["beam-search"], Budgets = [4] })
        {
            Retried = (p, e) => retried.Add($"{p.Id}: {e.Message}"),
        };
        var cells = await StudyProgress.RunAsync([("beam-search", 4)], 1, progress => runner.RunAsync([problem], progress, CancellationToken.None));

        Assert.Equal([$"{problem.Id}: Unknown scalar type."], retried);
        Assert.Equal(clean!.Value.Record with { Seconds = 0 }, cells.Single().Problems.Single() with { Seconds = 0 });
        Assert.True(calls > 3);
    }

    /// <summary>A sampler whose call fails, as libtorch does, when <c>fail</c> says so.</summary>
    private sealed class FailingOnce(ISampler inner, Func<bool> fail) : ISampler, IDisposable
    {
        public SamplerCapabilities Capabilities => inner.Capabilities;

        public int CountTokens(string text) => inner.CountTokens(text);

        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) =>
            fail() ? Task.FromException<SampleResult>(new System.Runtime.InteropServices.ExternalException("Unknown scalar type.")) : inner.SampleAsync(request, cancellationToken);

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }

    [Fact]
    public async Task Calls_on_separate_decoders_side_by_side_give_bitwise_the_logprobs_they_give_alone()
    {
        using var lanes = new EmbeddedLanes(3);
        var policies = lanes.Policies.ToList();
        var alone = new List<SampleResult>();
        for (int i = 0; i < policies.Count; i++)
        {
            using var engine = policies[i].CreateSampler();
            alone.Add(await engine.SampleAsync(Request(i)));
        }
        var together = await Task.WhenAll(policies.Select((p, i) => Task.Run(async () =>
        {
            using var engine = p.CreateSampler();
            return await engine.SampleAsync(Request(i));
        })));
        int compared = 0;
        for (int i = 0; i < policies.Count; i++)
            for (int r = 0; r < alone[i].Completions.Count; r++)
            {
                var (a, b) = (alone[i].Completions[r], together[i].Completions[r]);
                Assert.Equal(a.TokenIds, b.TokenIds);
                Assert.Equal(a.Logprobs!.Select(BitConverter.SingleToInt32Bits), b.Logprobs!.Select(BitConverter.SingleToInt32Bits));
                compared += a.Logprobs!.Count;
            }
        Assert.True(compared > 100, $"only {compared} logprobs compared");
    }

    /// <summary>
    /// The experiment behind the lanes: how far a call's logprobs move when its rows share decode steps with other
    /// calls on one decoder (the engine's continuous batching) instead of running alone. It measures, it does not
    /// pin: the engine promises the same tokens and logprobs within 1e-5, not the same bits.
    /// </summary>
    [EnvironmentFact("TTS_MEASURE")]
    public async Task Measure_how_far_rows_beside_other_calls_move_from_alone()
    {
        using var lanes = new EmbeddedLanes(1);
        var policy = lanes.Policies.Single();
        var alone = new List<SampleResult>();
        for (int i = 0; i < 5; i++)
        {
            using var engine = policy.CreateSampler();
            alone.Add(await engine.SampleAsync(Request(i)));
        }
        var engines = Enumerable.Range(0, 5).Select(_ => policy.CreateSampler()).ToList();
        var together = await Task.WhenAll(engines.Select((e, i) => Task.Run(() => e.SampleAsync(Request(i)))));
        foreach (var e in engines) e.Dispose();
        int total = 0, differing = 0, rowsDiffer = 0;
        double max = 0;
        for (int i = 0; i < alone.Count; i++)
            for (int r = 0; r < alone[i].Completions.Count; r++)
            {
                var (a, b) = (alone[i].Completions[r], together[i].Completions[r]);
                if (!a.TokenIds.SequenceEqual(b.TokenIds)) rowsDiffer++;
                for (int t = 0; t < Math.Min(a.Logprobs!.Count, b.Logprobs!.Count); t++)
                {
                    total++;
                    if (BitConverter.SingleToInt32Bits(a.Logprobs[t]) != BitConverter.SingleToInt32Bits(b.Logprobs[t])) differing++;
                    max = Math.Max(max, Math.Abs(a.Logprobs[t] - b.Logprobs[t]));
                }
            }
        output.WriteLine($"5 calls of 2..6 rows on one decoder: {total} logprobs compared, {differing} differ in their bits, max |diff| {max:E2}; rows with other tokens: {rowsDiffer}");
        Assert.True(total > 100);
    }

    /// <summary>
    /// The hazard that kept the study on one lane: lanes sample while another thread forces garbage collections and runs
    /// finalizers. A TorchSharp scalar that nothing holds during the native call reading it (an implicit one, or the
    /// alpha of 1 that TorchSharp's own <c>+</c> makes) was freed under it: 23 of 80 calls failed ("Unknown scalar
    /// type") before the engine held its scalars (see ScalarLifetimeTests); none may fail now. TTS_MEASURE_LANES and
    /// TTS_MEASURE_CALLS make the run longer.
    /// </summary>
    [Fact]
    public async Task Sampling_on_lanes_survives_forced_collections()
    {
        int laneCount = int.TryParse(Environment.GetEnvironmentVariable("TTS_MEASURE_LANES"), out int k) ? k : 2;
        using var lanes = new EmbeddedLanes(laneCount);
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        int perLane = int.TryParse(Environment.GetEnvironmentVariable("TTS_MEASURE_CALLS"), out int c) ? c : 15;
        int calls = 0, failed = 0;
        string? first = null;
        await Task.WhenAll(lanes.Policies.Select(policy => Task.Run(async () =>
        {
            for (int i = 0; i < perLane; i++)
            {
                using var engine = policy.CreateSampler();
                try { await engine.SampleAsync(Request(i)); }
                catch (System.Runtime.InteropServices.ExternalException e)
                {
                    Interlocked.Increment(ref failed);
                    first ??= e.ToString();
                }
                Interlocked.Increment(ref calls);
            }
        })));
        await stop.CancelAsync();
        await collector;
        output.WriteLine($"{laneCount} lane(s): {failed} of {calls} calls failed inside libtorch under forced collections; first: {first ?? "none"}");
        Assert.Equal(perLane * laneCount, calls);
        Assert.True(failed == 0, $"{failed} of {calls} calls failed inside libtorch; the first: {first}");
    }

    /// <summary>
    /// Wall and CPU time of a study on 1, 2 and 3 lanes, alternated and repeated in one process (ratios are what count
    /// on a loaded machine; CPU time says what the lanes cost beyond one).
    /// </summary>
    [EnvironmentFact("TTS_MEASURE")]
    public async Task Measure_a_study_on_one_two_and_three_lanes()
    {
        int problems = int.TryParse(Environment.GetEnvironmentVariable("TTS_MEASURE_PROBLEMS"), out int p) ? p : 20;
        var options = new ScalingOptions { Problems = problems, Seed = 5, TraceProblems = 0 };
        var wall = new Dictionary<int, List<double>> { [1] = [], [2] = [], [3] = [] };
        var cpu = new Dictionary<int, List<double>> { [1] = [], [2] = [], [3] = [] };
        var process = System.Diagnostics.Process.GetCurrentProcess();
        for (int round = 0; round < 2; round++)
            foreach (int k in new[] { 1, 2, 3 })
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await RunAsync(k, options);
                wall[k].Add(clock.Elapsed.TotalSeconds);
                process.Refresh();
                cpu[k].Add((process.TotalProcessorTime - cpu0).TotalSeconds);
                output.WriteLine($"round {round}, {k} lane(s): {wall[k][^1]:F1} s wall, {cpu[k][^1]:F1} s CPU");
            }
        foreach (var k in wall.Keys)
            output.WriteLine($"{k} lane(s), default study on {problems} problems: wall {wall[k].Sum() / 2:F1} s, CPU {cpu[k].Sum() / 2:F1} s (means of 2); "
                + $"wall speed-up over one lane {wall[1].Sum() / wall[k].Sum():F2}x, CPU {cpu[k].Sum() / cpu[1].Sum():F2}x one lane's");
        Assert.All(wall.Values, s => Assert.All(s, x => Assert.True(x > 0)));
    }

    private static SampleRequest Request(int i) => new()
    {
        Prompt = ProblemSelection.Evenly(5)[i % 5].ToProblem().Prompt,
        N = 2 + i,
        Options = new SamplingOptions { Temperature = 0.8, MaxNewTokens = 140, Seed = 17 + i, IncludeLogprobs = true },
    };

    private static async Task<(IReadOnlyList<CellResult> Cells, List<string> Solved)> RunAsync(int lanes, ScalingOptions? options = null,
        IReadOnlyList<ArithmeticProblem>? problems = null)
    {
        options ??= SmallStudy;
        using var embedded = new EmbeddedLanes(lanes);
        var solved = new List<string>();
        var runner = new ScalingRunner(embedded.Lanes, options)
        {
            Solved = (spec, budget, problem, index, result) => solved.Add(string.Join(" | ",
                [spec.Name, budget.ToString(), index.ToString(), problem.Id, result.Answer ?? "-", result.Outcome.ToString(),
                    .. result.Candidates.Select(c => $"{c.Text} @ {c.Score?.Value:R} / {c.GeneratedTokens}")])),
        };
        problems ??= ProblemSelection.Evenly(options.Problems);
        var cells = runner.Cells();
        var results = await StudyProgress.RunAsync([.. cells.Select(c => (c.Strategy.Name, c.Budget))], problems.Count,
            progress => runner.RunAsync(problems, progress, CancellationToken.None));
        return (results, solved);
    }
}
