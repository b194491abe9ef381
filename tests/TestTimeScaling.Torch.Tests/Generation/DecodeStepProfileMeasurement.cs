using System.Diagnostics;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// Where a continuous-batching decode step's time goes (TTS_MEASURE=1), on the 3.3M random Llama of the
/// ConcurrentRequests bench at one thread: the forward pass of 8 ragged rows against 1 row (attention by DecodeAttention and by SDPA), the batched draw of 8
/// rows from 8 generators against 1 row from 1, and the scheduler's whole step per row count. Fastest of many
/// interleaved repetitions; printed, not asserted.
/// </summary>
public sealed class DecodeStepProfileMeasurement(ITestOutputHelper output)
{
    [EnvironmentFact("TTS_MEASURE")]
    public void Profile_one_and_eight_row_decode_steps()
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            var config = new ModelConfig
            {
                VocabSize = 256, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
                NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 512,
                EosTokenIds = [],
            };
            using var model = LlamaDecoder.Create(config, seed: 1);
            using var noGrad = no_grad();
            var forward = new Dictionary<int, double>();
            var draw = new Dictionary<int, double>();
            // Rows 1 and 8 through DecodeAttention; 10 and 80 mark the same steps through SDPA (DecodeAttention off).
            int[] cases = [1, 8, 10, 80];
            foreach (int c in cases) (forward[c], draw[c]) = (double.MaxValue, double.MaxValue);
            var options = new SamplingOptions { Temperature = 0.8 };
            for (int round = 0; round < 40; round++)
            {
                foreach (int key in cases)
                {
                    int rows = key >= 10 ? key / 10 : key;
                    DecodeAttention.Enabled = key < 10;
                    using var cache = new KvCache(config, rows, 128, model.Device, model.DType);
                    using (var scope = NewDisposeScope())
                    {
                        // Ragged prompts of 20..27 tokens, as 8 different requests have.
                        var prompts = Enumerable.Range(0, rows).Select(r => Enumerable.Range(1, 20 + r).Select(t => (t * 7 + r) % 200 + 3).ToArray()).ToList();
                        int width = prompts.Max(p => p.Length);
                        var ids = new long[rows * width];
                        for (int r = 0; r < rows; r++) for (int t = 0; t < prompts[r].Length; t++) ids[r * width + t] = prompts[r][t];
                        model.Forward(tensor(ids, [rows, width]), cache, prompts.Select(p => (long)p.Length).ToArray());
                    }
                    var generators = Enumerable.Range(0, rows).Select(r => new Generator((ulong)r)).ToList();
                    var segments = generators.Select(g => new DrawSegment(1, g)).ToList();
                    var valid = Enumerable.Repeat(1L, rows).ToArray();
                    var step = Stopwatch.StartNew();
                    var drawClock = new Stopwatch();
                    long[] last = new long[rows];
                    for (int s = 0; s < 16; s++)
                    {
                        using var scope = NewDisposeScope();
                        step.Start();
                        var logits = model.Forward(tensor(last, [rows, 1]), cache, valid);
                        step.Stop();
                        drawClock.Start();
                        last = TokenSampler.Sample(logits, options, segments).Tokens;
                        drawClock.Stop();
                    }
                    if (round > 0)
                    {
                        forward[key] = Math.Min(forward[key], step.Elapsed.TotalMilliseconds / 16);
                        draw[key] = Math.Min(draw[key], drawClock.Elapsed.TotalMilliseconds / 16);
                    }
                    foreach (var g in generators) g.Dispose();
                }
            }
            foreach (int key in cases)
                output.WriteLine($"{(key >= 10 ? key / 10 : key)} row(s), attention by {(key >= 10 ? "SDPA" : "DecodeAttention")}: forward {forward[key]:F3} ms, draw {draw[key]:F3} ms");
            output.WriteLine($"8 rows / 1 row: forward {forward[8] / forward[1]:F2}x (SDPA: {forward[80] / forward[10]:F2}x), draw {draw[8] / draw[1]:F2}x");
        }
        finally
        {
            DecodeAttention.Enabled = true;
            set_num_threads(threads);
        }
    }
}
