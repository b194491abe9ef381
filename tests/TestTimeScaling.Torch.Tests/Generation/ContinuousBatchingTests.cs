using System.Collections.Concurrent;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// Continuous batching: concurrent calls share decode steps of one decoder, and each call still gets exactly what
/// it gets alone (same seed, same tokens; logprobs within 1e-5), with its own cancellation, limits and usage.
/// </summary>
public sealed class ContinuousBatchingTests(ITestOutputHelper output) : IDisposable
{
    private readonly CharTokenizer _chars = new();

    // No end-of-sequence token: rows end by their caps, stops, allowances or cancellation, so runs are long enough to overlap.
    private readonly LlamaDecoder _model = TinyModels.Random(
        TinyModels.Llama(new CharTokenizer().VocabSize) with { MaxPositionEmbeddings = 256, NumKeyValueHeads = 2, EosTokenIds = [] }, seed: 11);

    public void Dispose() => _model.Dispose();

    private GenerationEngine Engine(bool reuse = false) =>
        new(_model, new NoEos(_chars), new GenerationEngineOptions { ReuseCacheAcrossCalls = reuse });

    /// <summary>Calls of different prompts, row counts, prefixes, sampling settings, stops and allowances.</summary>
    private static List<SampleRequest> MixedRequests() =>
    [
        new() { Prompt = "q: 12+7\n", N = 3, Options = new() { MaxNewTokens = 20, Seed = 1 } },
        new() { Prompt = "q: 3*4-1\n", N = 1, Options = new() { MaxNewTokens = 25, Seed = 2, Temperature = 0.7, TopK = 5 } },
        new() { Prompt = "abc", N = 2, Options = new() { MaxNewTokens = 15, Seed = 3, TopP = 0.9, StepDelimiter = "\n" } },
        new() { Prompt = "q: 9\n", Prefixes = ["", "1+"], N = 2, Options = new() { MaxNewTokens = 18, Temperature = 0 } },
        new() { Prompt = "q: 5+5\n", N = 4, MaxTotalNewTokens = 30, Options = new() { MaxNewTokens = 20, Seed = 5 } },
        new() { Prompt = "the quick brown fox jumps over the lazy dog 0123456789 again", N = 1, Options = new() { MaxNewTokens = 22, Seed = 6, MinP = 0.1 } },
        new() { Prompt = "q: 8-3\n", N = 3, StopAfterFinished = 1, Options = new() { MaxNewTokens = 40, Seed = 7, StopSequences = ["=", "9"] } },
    ];

    private static void AssertSame(SampleResult alone, SampleResult batched, string what)
    {
        Assert.Equal(alone.Completions.Count, batched.Completions.Count);
        for (int i = 0; i < alone.Completions.Count; i++)
        {
            var a = alone.Completions[i];
            var b = batched.Completions[i];
            Assert.True(a.TokenIds.SequenceEqual(b.TokenIds), $"{what}, row {i}: [{string.Join(",", a.TokenIds)}] alone, [{string.Join(",", b.TokenIds)}] batched");
            Assert.Equal(a.Text, b.Text);
            Assert.Equal(a.FinishReason, b.FinishReason);
            Assert.Equal(a.PrefixIndex, b.PrefixIndex);
            var la = a.Logprobs ?? [];
            var lb = b.Logprobs ?? [];
            Assert.Equal(la.Count, lb.Count);
            for (int t = 0; t < la.Count; t++)
                Assert.True(Math.Abs(la[t] - lb[t]) <= 1e-5, $"{what}, row {i}, token {t}: logprob {la[t]} alone, {lb[t]} batched");
        }
        Assert.Equal(alone.Usage.GeneratedTokens, batched.Usage.GeneratedTokens);
        Assert.Equal(alone.Usage.PromptTokens, batched.Usage.PromptTokens);
        Assert.Equal(alone.Usage.ForwardPasses, batched.Usage.ForwardPasses);
        Assert.Equal(alone.Usage.KvCacheBytesRead, batched.Usage.KvCacheBytesRead);
    }

    /// <summary>Holds the loop after its first decode step until every call is queued, so the later calls join mid-flight.</summary>
    private static (ManualResetEventSlim Release, ConcurrentBag<(int Rows, int Calls)> Steps) Watch(DecodeScheduler scheduler)
    {
        var release = new ManualResetEventSlim(false);
        var steps = new ConcurrentBag<(int, int)>();
        scheduler.DecodeStepRan = (rows, calls) =>
        {
            steps.Add((rows, calls));
            release.Wait(TimeSpan.FromSeconds(30));
        };
        return (release, steps);
    }

    [Fact]
    public async Task Rows_of_different_calls_in_one_batch_sample_what_each_samples_alone()
    {
        var requests = MixedRequests();
        using var engine = Engine();
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        var (release, steps) = Watch(engine.Scheduler);
        try
        {
            var running = requests.Select(r => engine.SampleAsync(r)).ToList();
            release.Set();
            var batched = await Task.WhenAll(running);
            for (int i = 0; i < requests.Count; i++) AssertSame(alone[i], batched[i], $"call {i}");
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
        }
        // They did share steps (the stop-after-first call may leave after its first token).
        Assert.Contains(steps, s => s.Calls >= requests.Count - 1);
    }

    /// <summary>
    /// Calls that arrive while the loop is busy prefill together: their pieces run as one ragged forward pass (within
    /// the token budget, which bounds every pass), and each call still samples what it samples alone, with the same
    /// usage (each is charged for its own rows and tokens of a shared pass).
    /// </summary>
    [Theory]
    [InlineData(512)]
    [InlineData(24)]
    public async Task Calls_that_arrive_together_prefill_in_shared_passes_and_sample_what_each_samples_alone(int chunk)
    {
        var requests = MixedRequests();
        var driver = new SampleRequest { Prompt = "q: 1\n", Options = new() { MaxNewTokens = 60, Seed = 1 } };
        using var engine = Engine();
        engine.Scheduler.Options = new DecodeSchedulerOptions { PrefillChunkTokens = chunk };
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        var passes = new ConcurrentBag<(int Calls, int Rows, int Padded)>();
        engine.Scheduler.PrefillPassRan = (calls, rows, padded) => passes.Add((calls, rows, padded));
        var (release, _) = Watch(engine.Scheduler);
        try
        {
            long steps = engine.Scheduler.DecodeSteps;
            var holder = engine.SampleAsync(driver);
            // The driver's first step holds the loop (after its prefill, which is not counted).
            while (engine.Scheduler.DecodeSteps == steps) await Task.Delay(1);
            passes.Clear();
            var running = requests.Select(r => engine.SampleAsync(r)).ToList();
            release.Set();
            var batched = await Task.WhenAll(running);
            for (int i = 0; i < requests.Count; i++) AssertSame(alone[i], batched[i], $"call {i}, chunk {chunk}");
            await holder;
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
            engine.Scheduler.PrefillPassRan = null;
            engine.Scheduler.Options = new DecodeSchedulerOptions();
        }
        Assert.All(passes, p => Assert.True(p.Padded <= chunk, $"a pass of {p.Padded} padded tokens, budget {chunk}"));
        // Every call's prompt in one pass with the default budget; with the small one, still several calls at once.
        if (chunk == 512) Assert.Contains(passes, p => p.Calls == requests.Count);
        else Assert.Contains(passes, p => p.Calls >= 3);
    }

    [Fact]
    public async Task A_call_cancelled_mid_batch_leaves_the_others_unchanged()
    {
        var requests = MixedRequests().Take(3).Select(r => r with { Options = r.Options with { MaxNewTokens = 30 } }).ToList();
        using var engine = Engine();
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        using var cts = new CancellationTokenSource();
        var (release, _) = Watch(engine.Scheduler);
        int decoded = 0;
        engine.Scheduler.DecodeStepRan += (_, _) => { if (++decoded == 6) cts.Cancel(); };
        try
        {
            var first = engine.SampleAsync(requests[0]);
            var cancelled = engine.SampleAsync(requests[1], cts.Token);
            var third = engine.SampleAsync(requests[2]);
            release.Set();
            var error = await Assert.ThrowsAsync<SamplingCanceledException>(() => cancelled);
            Assert.All(error.Partial.Completions, c => Assert.Equal(FinishReason.Abandoned, c.FinishReason));
            Assert.InRange(error.Partial.Usage.GeneratedTokens, 1, 6);
            // What it produced before the cancellation is what it produces alone.
            Assert.Equal(alone[1].Completions[0].TokenIds.Take(error.Partial.Completions[0].GeneratedTokens), error.Partial.Completions[0].TokenIds);
            AssertSame(alone[0], await first, "first");
            AssertSame(alone[2], await third, "third");
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
        }
    }

    [Fact]
    public async Task Calls_beyond_the_row_limit_wait_in_the_queue_and_a_call_larger_than_the_limit_runs_alone()
    {
        var requests = MixedRequests();
        using var engine = Engine();
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        engine.Scheduler.Options = new DecodeSchedulerOptions { MaxRows = 3 };
        var (release, steps) = Watch(engine.Scheduler);
        try
        {
            var running = requests.Select(r => engine.SampleAsync(r)).ToList();
            Assert.True(engine.Scheduler.QueuedRequests > 0);
            release.Set();
            var batched = await Task.WhenAll(running);
            for (int i = 0; i < requests.Count; i++) AssertSame(alone[i], batched[i], $"call {i}");
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
            engine.Scheduler.Options = new DecodeSchedulerOptions();
        }
        // Never more than 3 rows at once, except the 4-row call, which ran with nothing beside it.
        Assert.All(steps, s => Assert.True(s.Rows <= 3 || s.Calls == 1, $"{s.Rows} rows of {s.Calls} calls in one step"));
        Assert.Contains(steps, s => s.Calls > 1);
    }

    [Fact]
    public async Task A_kv_memory_limit_queues_calls_instead_of_failing()
    {
        var requests = MixedRequests().Take(4).ToList();
        using var engine = Engine();
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        // Less than any one call's cache (256 bytes per token here): every call runs alone, one after another.
        engine.Scheduler.Options = new DecodeSchedulerOptions { MaxKvCacheBytes = 1000 };
        var (release, steps) = Watch(engine.Scheduler);
        try
        {
            var running = requests.Select(r => engine.SampleAsync(r)).ToList();
            release.Set();
            var batched = await Task.WhenAll(running);
            for (int i = 0; i < requests.Count; i++) AssertSame(alone[i], batched[i], $"call {i}");
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
            engine.Scheduler.Options = new DecodeSchedulerOptions();
        }
        Assert.All(steps, s => Assert.Equal(1, s.Calls));
    }

    [Fact]
    public void Chunked_prefill_gives_what_one_pass_gives()
    {
        var request = new SampleRequest
        {
            Prompt = "the quick brown fox jumps over the lazy dog",
            Prefixes = ["", "1+2=3\n", "a much longer partial solution than the others\n"],
            N = 2,
            Options = new() { MaxNewTokens = 12, Seed = 9 },
        };
        using var engine = Engine();
        var whole = engine.Generate(request, CancellationToken.None);
        try
        {
            foreach (int chunk in new[] { 1, 7, 40 })
            {
                engine.Scheduler.Options = new DecodeSchedulerOptions { PrefillChunkTokens = chunk };
                var chunked = engine.Generate(request, CancellationToken.None);
                Assert.Equal(whole.Completions.Select(c => c.TokenIds), chunked.Completions.Select(c => c.TokenIds));
                for (int i = 0; i < whole.Completions.Count; i++)
                    for (int t = 0; t < whole.Completions[i].Logprobs!.Count; t++)
                        Assert.True(Math.Abs(whole.Completions[i].Logprobs![t] - chunked.Completions[i].Logprobs![t]) <= 1e-5, $"chunk {chunk}, row {i}, token {t}");
                Assert.Equal(whole.Usage.PromptTokens, chunked.Usage.PromptTokens);
                Assert.True(chunked.Usage.ForwardPasses > whole.Usage.ForwardPasses);
            }
        }
        finally
        {
            engine.Scheduler.Options = new DecodeSchedulerOptions();
        }
    }

    [Fact]
    public async Task Two_engines_on_two_threads_over_one_decoder_give_the_sequential_results()
    {
        var requests = MixedRequests();
        using var first = Engine(reuse: true);
        using var second = Engine(reuse: true);
        Assert.Same(first.Scheduler, second.Scheduler);
        var sequential = requests.Select(r => first.Generate(r, CancellationToken.None)).ToList();

        var left = Task.Run(() => requests.Where((_, i) => i % 2 == 0).Select(r => first.Generate(r, CancellationToken.None)).ToList());
        var right = Task.Run(() => requests.Where((_, i) => i % 2 == 1).Select(r => second.Generate(r, CancellationToken.None)).ToList());
        var (even, odd) = (await left, await right);
        for (int i = 0; i < requests.Count; i++)
            AssertSame(sequential[i], i % 2 == 0 ? even[i / 2] : odd[i / 2], $"call {i}");
    }

    [Fact]
    public async Task Eight_tasks_on_one_engine_give_the_sequential_results()
    {
        var requests = Enumerable.Range(0, 8).Select(i => new SampleRequest
        {
            Prompt = $"q: {i}+{7 * i}\n",
            N = 1 + i % 3,
            Options = new() { MaxNewTokens = 10 + 3 * i, Seed = 100 + i, Temperature = i % 4 == 0 ? 0 : 0.9 },
        }).ToList();
        using var engine = Engine(reuse: true);
        var sequential = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();
        var concurrent = await Task.WhenAll(requests.Select(r => Task.Run(() => engine.SampleAsync(r))));
        for (int i = 0; i < requests.Count; i++) AssertSame(sequential[i], concurrent[i], $"call {i}");
        Assert.Equal(0, engine.Scheduler.RowsInFlight);
        Assert.Equal(0, engine.Scheduler.QueuedRequests);
    }

    [Fact]
    public void Live_tensors_stay_flat_over_many_calls_joining_finishing_and_cancelled_mid_flight() => JoinFinishAndCancel(rounds: 1);

    /// <summary>The soak form (TTS_SOAK=1): 51 rounds of 199 steps, over 10,000 decode steps with calls joining, finishing and cancelled.</summary>
    [EnvironmentFact("TTS_SOAK")]
    public void Ten_thousand_batched_decode_steps_keep_live_tensors_flat() => JoinFinishAndCancel(rounds: 51);

    private void JoinFinishAndCancel(int rounds)
    {
        // The long call drives the loop on this thread; the others join it from the step hook, so every tensor the
        // batch makes is made and freed on this thread, where the live count is kept.
        using var engine = Engine(reuse: true);
        var random = new Random(5);
        var driver = new SampleRequest { Prompt = "q: 1\n", Options = new() { MaxNewTokens = 200, Seed = 1 } };
        var joined = new List<Task<SampleResult>>();
        var sources = new List<CancellationTokenSource>();
        int step = 0;
        engine.Scheduler.DecodeStepRan = (_, _) =>
        {
            step++;
            foreach (var s in sources.Where(s => random.NextDouble() < 0.1)) s.Cancel();
            if (step % 6 != 0 || step > 150) return;
            var cts = new CancellationTokenSource();
            sources.Add(cts);
            joined.Add(engine.SampleAsync(new SampleRequest
            {
                Prompt = $"q: {step}*{random.Next(100)}\n",
                Prefixes = random.NextDouble() < 0.3 ? ["", "7-"] : [""],
                N = random.Next(1, 4),
                MaxTotalNewTokens = random.NextDouble() < 0.3 ? random.Next(1, 40) : null,
                StopAfterFinished = random.NextDouble() < 0.2 ? 1 : null,
                Options = new() { MaxNewTokens = random.Next(3, 40), Seed = step, Temperature = random.NextDouble() < 0.3 ? 0 : 1, StepDelimiter = random.NextDouble() < 0.3 ? "\n" : null },
            }, cts.Token));
        };
        try
        {
            engine.Generate(driver, CancellationToken.None); // warm up: the retained cache exists from here on
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            long steps = engine.Scheduler.DecodeSteps;
            long rss = Environment.WorkingSet;
            for (int round = 0; round < rounds; round++)
            {
                step = 0;
                engine.Generate(driver with { Options = driver.Options with { Seed = round } }, CancellationToken.None);
                Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                foreach (var s in sources) s.Dispose();
                sources.Clear();
            }
            output.WriteLine($"{engine.Scheduler.DecodeSteps - steps} decode steps, {joined.Count} calls joined " +
                $"({joined.Count(t => t.IsFaulted)} cancelled); live tensors {before} -> {DisposeScopeManager.Statistics.ThreadTotalLiveCount}; " +
                $"RSS {rss / 1048576.0:F1} -> {Environment.WorkingSet / 1048576.0:F1} MiB");
            Assert.True(engine.Scheduler.DecodeSteps - steps >= 199L * rounds);
            Assert.True(joined.Count >= 25 * rounds);
            Assert.All(joined, t => Assert.True(t.IsCompleted));
            Assert.Contains(joined, t => t.IsCompletedSuccessfully);
            Assert.Contains(joined, t => t.IsFaulted && t.Exception!.InnerException is SamplingCanceledException);
            Assert.Equal(0, engine.Scheduler.RowsInFlight);
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
            foreach (var s in sources) s.Dispose();
        }
    }

    [Fact]
    public void Every_engine_over_a_decoder_shares_its_scheduler_and_limits_are_checked()
    {
        using var a = Engine();
        using var b = new GenerationEngine(_model, _chars);
        Assert.Same(a.Scheduler, b.Scheduler);
        Assert.Same(DecodeScheduler.For(_model), a.Scheduler);
        Assert.Equal("MaxRows", Assert.Throws<ArgumentOutOfRangeException>(() => a.Scheduler.Options = new DecodeSchedulerOptions { MaxRows = 0 }).ParamName);
        Assert.Equal("PrefillChunkTokens", Assert.Throws<ArgumentOutOfRangeException>(() => a.Scheduler.Options = new DecodeSchedulerOptions { PrefillChunkTokens = -1 }).ParamName);
    }

    [Fact]
    public void A_synchronous_call_from_the_loops_own_thread_is_refused_instead_of_waiting_forever()
    {
        using var engine = Engine();
        Exception? refused = null;
        engine.Scheduler.DecodeStepRan = (_, _) =>
        {
            if (refused is null)
                refused = Record.Exception(() => engine.Generate(MixedRequests()[1], CancellationToken.None)) ?? new Exception("not refused");
        };
        try
        {
            var result = engine.Generate(MixedRequests()[0], CancellationToken.None);
            Assert.Equal(3, result.Completions.Count);
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
        }
        Assert.IsType<InvalidOperationException>(refused);
    }

    private sealed class NoEos(ITextTokenizer inner) : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => [];
    }
}
