using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>The engine's shared token allowance, and that no way out of a call leaves a tensor behind.</summary>
public sealed class EngineAllowanceAndLeakTests : IDisposable
{
    private const string Prompt = "q: 12+7\n";
    private readonly CharTokenizer _tokenizer = new();
    private readonly LlamaDecoder _model;

    public EngineAllowanceAndLeakTests()
    {
        // No end-of-sequence token: rows end only by their caps, the allowance, a stop rule or cancellation.
        var config = TinyModels.Llama(_tokenizer.VocabSize) with { MaxPositionEmbeddings = 256, NumKeyValueHeads = 2, EosTokenIds = [] };
        _model = TinyModels.Random(config, seed: 4);
    }

    public void Dispose() => _model.Dispose();

    private GenerationEngine Engine(ITextTokenizer? tokenizer = null) => new(_model, tokenizer ?? new NoEos(_tokenizer));

    private static SampleRequest Request(int n, int maxNew, long? allowance = null, long seed = 1) => new()
    {
        Prompt = Prompt,
        N = n,
        MaxTotalNewTokens = allowance,
        Options = new SamplingOptions { MaxNewTokens = maxNew, Seed = seed },
    };

    [Fact]
    public void The_engine_says_it_enforces_a_shared_allowance() => Assert.True(Engine().Capabilities.SharedTokenAllowance);

    [Fact]
    public void A_shared_allowance_is_spent_exactly_and_rows_first_in_order_are_paid_first()
    {
        using var engine = Engine();
        var free = engine.Generate(Request(4, 40), CancellationToken.None);
        var capped = engine.Generate(Request(4, 40, allowance: 30), CancellationToken.None);

        // 4 rows in lock step: 7 steps pay 28 tokens, the eighth pays only the first two rows.
        Assert.Equal(30, capped.Usage.GeneratedTokens);
        Assert.Equal([8, 8, 7, 7], capped.Completions.Select(c => c.GeneratedTokens));
        Assert.All(capped.Completions, c => Assert.Equal(FinishReason.Length, c.FinishReason));
        // Cutting changes nothing before the cut: the same seed draws the same tokens.
        for (int i = 0; i < 4; i++)
            Assert.Equal(free.Completions[i].TokenIds.Take(capped.Completions[i].GeneratedTokens), capped.Completions[i].TokenIds);
    }

    [Fact]
    public void An_allowance_smaller_than_the_rows_cuts_the_later_rows_before_their_first_token()
    {
        using var engine = Engine();
        var result = engine.Generate(Request(4, 40, allowance: 2), CancellationToken.None);
        Assert.Equal([1, 1, 0, 0], result.Completions.Select(c => c.GeneratedTokens));
        Assert.Equal(2, result.Usage.GeneratedTokens);
        Assert.Equal("", result.Completions[3].Text);
    }

    [Fact]
    public void An_allowance_larger_than_the_rows_need_changes_nothing()
    {
        using var engine = Engine();
        var free = engine.Generate(Request(3, 10), CancellationToken.None);
        var roomy = engine.Generate(Request(3, 10, allowance: 1000), CancellationToken.None);
        Assert.Equal(free.Completions.Select(c => c.TokenIds), roomy.Completions.Select(c => c.TokenIds));
    }

    [Fact]
    public void Cancelled_calls_leave_no_tensor_behind()
    {
        using var engine = Engine();
        var cts = new CancellationTokenSource();
        long cancelAt = 0;
        engine.DecodeStepCompleted = step => { if (step == cancelAt) cts.Cancel(); };
        void CancelledCall(int i)
        {
            cts = new CancellationTokenSource();
            cancelAt = engine.DecodeSteps + 1 + i % 5;
            var e = Assert.Throws<SamplingCanceledException>(() => engine.Generate(Request(1 + i % 4, 60, seed: i), cts.Token));
            Assert.All(e.Partial.Completions, c => Assert.Equal(FinishReason.Abandoned, c.FinishReason));
        }

        CancelledCall(0); // warm up: the retained cache exists from here on
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 1; i <= 40; i++) CancelledCall(i);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    [Fact]
    public void Cancellation_stops_before_the_next_decode_step()
    {
        using var engine = Engine();
        foreach (long k in new long[] { 1, 2, 7, 20 })
        {
            using var cts = new CancellationTokenSource();
            long start = engine.DecodeSteps;
            engine.DecodeStepCompleted = step => { if (step - start == k) cts.Cancel(); };
            Assert.Throws<SamplingCanceledException>(() => engine.Generate(Request(4, 60), cts.Token));
            Assert.Equal(k, engine.DecodeSteps - start);
        }
    }

    [Fact]
    public void A_call_that_throws_mid_generation_leaves_no_tensor_behind()
    {
        var failing = new FailOnDecode(new NoEos(_tokenizer), failAt: 6);
        using var engine = Engine(failing);
        var stopping = Request(2, 30) with { Options = new SamplingOptions { MaxNewTokens = 30, Seed = 1, StopSequences = ["never: ~"] } };
        void FailingCall()
        {
            failing.Reset();
            Assert.Throws<InvalidOperationException>(() => engine.Generate(stopping, CancellationToken.None));
        }
        // Warm up: a failed call frees the cache it took over, so the retained cache is empty from here on.
        FailingCall();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) FailingCall();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private sealed class NoEos(ITextTokenizer inner) : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => [];
    }

    private sealed class FailOnDecode(ITextTokenizer inner, int failAt) : ITextTokenizer
    {
        private int _decodes;
        public void Reset() => _decodes = 0;
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids) =>
            ++_decodes == failAt ? throw new InvalidOperationException("The tokenizer was told to fail.") : inner.Decode(ids);
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
    }
}
