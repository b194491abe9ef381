using System.Diagnostics;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// The soak test of the robustness issue (long run, TTS_SOAK=1): 10,000 decode steps on a tiny model, calls of
/// random shape (rows, caps, shared allowances, stop-after-first, prefixes continuing earlier output) with about
/// half of them cancelled at a random step, and the live-tensor count and the process's resident memory held flat.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const long TargetSteps = 10_000;

    [EnvironmentFact("TTS_SOAK")]
    public void Ten_thousand_decode_steps_with_random_cancellations_keep_tensors_and_memory_flat()
    {
        var tokenizer = new CharTokenizer();
        var config = TinyModels.Llama(tokenizer.VocabSize) with { MaxPositionEmbeddings = 256, NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config, seed: 7);
        using var engine = new GenerationEngine(model, tokenizer);
        var random = new Random(2026);
        var cts = new CancellationTokenSource();
        long cancelAt = -1;
        engine.DecodeStepCompleted = step => { if (step == cancelAt) cts.Cancel(); };
        string lastText = "";

        int calls = 0, cancelled = 0;
        void Call()
        {
            cts.Dispose();
            cts = new CancellationTokenSource();
            bool cancel = random.NextDouble() < 0.5;
            cancelAt = cancel ? engine.DecodeSteps + random.Next(1, 40) : -1;
            var options = new SamplingOptions { MaxNewTokens = random.Next(5, 80), Seed = random.Next(), StepDelimiter = random.NextDouble() < 0.3 ? "\n" : null };
            var request = new SampleRequest
            {
                Prompt = "q: 12+7\n",
                Prefixes = random.NextDouble() < 0.3 ? ["", lastText] : [""],
                N = random.Next(1, 5),
                Options = options,
                MaxTotalNewTokens = random.NextDouble() < 0.3 ? random.Next(1, 120) : null,
                StopAfterFinished = random.NextDouble() < 0.2 ? 1 : null,
            };
            calls++;
            try
            {
                var result = engine.Generate(request, cts.Token);
                lastText = result.Completions[0].Text;
            }
            catch (SamplingCanceledException)
            {
                cancelled++;
            }
        }

        static long Rss()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var self = Process.GetCurrentProcess();
            return self.WorkingSet64;
        }

        // Warm up to a tenth of the run: the allocator's pools and the retained cache reach their working size.
        while (engine.DecodeSteps < TargetSteps / 10) Call();
        long liveStart = DisposeScopeManager.Statistics.ThreadTotalLiveCount, rssStart = Rss();
        long liveMax = liveStart, liveMin = liveStart;
        var clock = Stopwatch.StartNew();
        while (engine.DecodeSteps < TargetSteps)
        {
            Call();
            long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            liveMax = Math.Max(liveMax, live);
            liveMin = Math.Min(liveMin, live);
        }
        long liveEnd = DisposeScopeManager.Statistics.ThreadTotalLiveCount, rssEnd = Rss();
        output.WriteLine($"{engine.DecodeSteps} decode steps in {calls} calls ({cancelled} cancelled), {clock.Elapsed.TotalSeconds:F1} s after warm-up; " +
                         $"live tensors {liveStart} -> {liveEnd} (range {liveMin}..{liveMax}); RSS {rssStart / 1048576.0:F1} -> {rssEnd / 1048576.0:F1} MiB");

        Assert.True(cancelled >= 100, $"only {cancelled} calls were cancelled");
        Assert.Equal(liveStart, liveEnd);
        Assert.True(liveMax - liveMin <= 2, $"live tensors ranged {liveMin}..{liveMax}");
        Assert.True(rssEnd - rssStart < 64L << 20, $"RSS grew by {(rssEnd - rssStart) / 1048576.0:F1} MiB");
    }
}
