using System.Collections.Concurrent;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// A prompt shared by a call's forked rows is stored once, so the scheduler's admission and the usage meter count it
/// once: a KV budget that holds two forked calls only when each prompt is counted once admits both together, one that
/// does not holds the second back, and the bytes a call reads per step are its prompt once plus its rows' own tokens.
/// </summary>
public sealed class SharedPrefixAdmissionTests : IDisposable
{
    private readonly CharTokenizer _chars = new();
    private readonly LlamaDecoder _model = TinyModels.Random(
        TinyModels.Llama(new CharTokenizer().VocabSize) with { MaxPositionEmbeddings = 512, NumKeyValueHeads = 2, EosTokenIds = [] }, seed: 5);

    // 300 characters + BOS: with N = 8 the fork saves 7 x 301 tokens, past KvCache.DefaultMinSharedTokens.
    private static readonly string LongPrompt = string.Concat(Enumerable.Range(0, 40).Select(i => $"q{i % 10}: {i % 7}+{i % 3}=\n"))[..300];

    public void Dispose() => _model.Dispose();

    private GenerationEngine Engine() => new(_model, new NoEos(_chars), new GenerationEngineOptions { ReuseCacheAcrossCalls = false });

    private long BytesPerToken
    {
        get
        {
            using var cache = new KvCache(_model.Config, 1, 1, _model.Device, _model.DType);
            return cache.BytesPerToken;
        }
    }

    private static SampleRequest Forked(string prompt, int n, long seed) =>
        new() { Prompt = prompt, N = n, Options = new() { MaxNewTokens = 6, Seed = seed } };

    [Fact]
    public void A_footprint_counts_a_shared_prompt_once_and_a_short_one_per_row()
    {
        int[] Tokens(int length) => Enumerable.Range(0, length).ToArray();
        // Forked 8 times, a 301-token context is shared: its rows need only their new tokens (capacity 307 - 301).
        Assert.Equal(new KvFootprint(6, 301), KvFootprint.Of([Tokens(301)], 301, n: 8, capacity: 307, minSharedTokens: 1024));
        // Too short to share (7 x 100 < 1024), or a single row: every row holds the whole capacity.
        Assert.Equal(new KvFootprint(106, 0), KvFootprint.Of([Tokens(100)], 100, n: 8, capacity: 106, minSharedTokens: 1024));
        Assert.Equal(new KvFootprint(307, 0), KvFootprint.Of([Tokens(301)], 301, n: 1, capacity: 307, minSharedTokens: 1024));
        // Three prefixes over a 600-token prompt: the prompt, fed once before the prefixes, is shared by the
        // prefix rows, each of which copies only its own part when forked.
        int[] prompt = Tokens(600);
        int[][] contexts = [[.. prompt, 1, 2], [.. prompt, 3], [.. prompt, 4, 5, 6]];
        Assert.Equal(new KvFootprint(610 - 600, 600), KvFootprint.Of(contexts, 600, n: 4, capacity: 610, minSharedTokens: 1024));

        // A batch: rows x the widest suffix (+ the scratch slot) plus every segment once.
        Assert.Equal((16L * 7 + 2 * 301) * 10, KvFootprint.BatchBytes([(8, new KvFootprint(6, 301)), (8, new KvFootprint(6, 301))], 10));
        // A row that shares nothing widens every row's suffix: the batch's suffix buffer is one tensor.
        Assert.Equal((9L * 308 + 301) * 10, KvFootprint.BatchBytes([(8, new KvFootprint(6, 301)), (1, new KvFootprint(307, 0))], 10));
        Assert.Throws<ArgumentException>(() => KvFootprint.Of([], 0, 1, 1, 0));
    }

    [Theory]
    [InlineData(1000, true)]   // two calls hold 2 x (8 x 7) + 2 x 301 = 714 tokens: both run together
    [InlineData(600, false)]   // one call's 357 fits, two do not: the second waits
    public async Task A_kv_budget_admits_forked_calls_by_their_prompt_stored_once(int budgetTokens, bool together)
    {
        var requests = new[] { Forked(LongPrompt, 8, 1), Forked(LongPrompt[..299] + "x", 8, 2) };
        using var engine = Engine();
        var alone = requests.Select(r => engine.Generate(r, CancellationToken.None)).ToList();

        // Counted as rows x capacity (16 x 308 tokens), these calls would never run together under either budget.
        Assert.True(16L * 308 > budgetTokens);
        engine.Scheduler.Options = new DecodeSchedulerOptions { MaxKvCacheBytes = budgetTokens * BytesPerToken };
        var release = new ManualResetEventSlim(false);
        var steps = new ConcurrentBag<(int Rows, int Calls)>();
        engine.Scheduler.DecodeStepRan = (rows, calls) =>
        {
            steps.Add((rows, calls));
            release.Wait(TimeSpan.FromSeconds(30));
        };
        try
        {
            var running = requests.Select(r => engine.SampleAsync(r)).ToList();
            release.Set();
            var batched = await Task.WhenAll(running);
            for (int i = 0; i < requests.Length; i++)
                Assert.Equal(alone[i].Completions.Select(c => c.TokenIds), batched[i].Completions.Select(c => c.TokenIds));
        }
        finally
        {
            engine.Scheduler.DecodeStepRan = null;
            engine.Scheduler.Options = new DecodeSchedulerOptions();
        }
        if (together) Assert.Contains(steps, s => s.Calls == 2 && s.Rows == 16);
        else Assert.All(steps, s => Assert.Equal(1, s.Calls));
    }

    [Fact]
    public void The_meter_reads_a_shared_prompt_once_per_step_and_a_copied_one_per_row()
    {
        using var engine = Engine();
        long perToken = BytesPerToken;

        // 301 context tokens forked to 8 rows (shared). Prefill: the prompt's first 300 tokens, then the last one
        // (301 read); then 5 decode steps, each reading the prompt once and every row's k own tokens.
        var shared = engine.Generate(Forked(LongPrompt, 8, 3), CancellationToken.None).Usage;
        Assert.Equal(7, shared.ForwardPasses);
        long sharedTokens = 300 + 301 + Enumerable.Range(1, 5).Sum(k => 301 + 8 * k);
        Assert.Equal(sharedTokens * perToken, shared.KvCacheBytesRead);

        // "abc" + BOS forked to 2 rows is copied: each decode step reads every row's whole length.
        var copied = engine.Generate(Forked("abc", 2, 4), CancellationToken.None).Usage;
        Assert.Equal(7, copied.ForwardPasses);
        long copiedTokens = 3 + 4 + Enumerable.Range(1, 5).Sum(k => 2 * (4 + k));
        Assert.Equal(copiedTokens * perToken, copied.KvCacheBytesRead);
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
