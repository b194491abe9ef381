using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Models;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

public class GenerationEngineTests : IDisposable
{
    private readonly CharTokenizer _tokenizer = new();
    private readonly LlamaDecoder _model;
    private const string Prompt = "q: 12+7\n";

    public GenerationEngineTests()
    {
        var config = TinyModels.Llama(new CharTokenizer().VocabSize) with { MaxPositionEmbeddings = 128, NumKeyValueHeads = 2 };
        _model = TinyModels.Random(config, seed: 4);
    }

    public void Dispose() => _model.Dispose();

    private GenerationEngine Engine(bool reuse = true) => new(_model, _tokenizer, new GenerationEngineOptions { ReuseCacheAcrossCalls = reuse });

    private static SampleRequest Request(int n = 1, double temperature = 1.0, int maxNew = 12, long seed = 1, IReadOnlyList<string>? prefixes = null) => new()
    {
        Prompt = Prompt,
        N = n,
        Prefixes = prefixes ?? [""],
        Options = new SamplingOptions { Temperature = temperature, MaxNewTokens = maxNew, Seed = seed },
    };

    /// <summary>Greedy decoding by full forward passes, without the cache: the reference.</summary>
    private List<int> GreedyReference(IReadOnlyList<int> context, int steps)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = context.ToList();
        var generated = new List<int>();
        for (int i = 0; i < steps; i++)
        {
            int next = (int)DecoderCacheTests.LastLogits(_model, [.. tokens]).argmax().item<long>();
            generated.Add(next);
            if (next == 1) break;
            tokens.Add(next);
        }
        return generated;
    }

    private int[] PromptTokens(string prefix = "") => [0, .. _tokenizer.Encode(Prompt), .. _tokenizer.Encode(prefix)];

    [Fact]
    public async Task TemperatureZeroMatchesGreedyFullForward()
    {
        using var engine = Engine();
        var result = await engine.SampleAsync(Request(n: 3, temperature: 0, maxNew: 10));
        var expected = GreedyReference(PromptTokens(), 10);
        Assert.All(result.Completions, c => Assert.Equal(expected, c.TokenIds));
    }

    [Fact]
    public async Task SameSeedSameSamplesAndDifferentSeedDifferentSamples()
    {
        using var engine = Engine();
        var a = await engine.SampleAsync(Request(n: 6, seed: 11));
        var b = await engine.SampleAsync(Request(n: 6, seed: 11));
        var c = await engine.SampleAsync(Request(n: 6, seed: 12));
        Assert.Equal(a.Completions.Select(x => string.Join(",", x.TokenIds)), b.Completions.Select(x => string.Join(",", x.TokenIds)));
        Assert.NotEqual(a.Completions.Select(x => string.Join(",", x.TokenIds)), c.Completions.Select(x => string.Join(",", x.TokenIds)));
    }

    [Fact]
    public async Task ThePromptIsPrefilledOnceForAllSamples()
    {
        using var engine = Engine(reuse: false);
        var result = await engine.SampleAsync(Request(n: 8, maxNew: 5));
        Assert.Equal(8, result.Completions.Count);
        Assert.Equal(PromptTokens().Length, result.Usage.PromptTokens);
        Assert.Equal(result.Completions.Sum(c => c.GeneratedTokens), result.Usage.GeneratedTokens);
        Assert.True(result.Usage.ForwardPasses <= 1 + 1 + 5, $"forward passes: {result.Usage.ForwardPasses}");
        Assert.True(result.Usage.EstimatedFlops > 0 && result.Usage.KvCacheBytesRead > 0);
    }

    [Fact]
    public async Task LogprobsAreTheModelsLogSoftmaxAtEachStep()
    {
        using var engine = Engine();
        var completion = (await engine.SampleAsync(Request(temperature: 0, maxNew: 6))).Completions[0];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var context = PromptTokens().ToList();
        for (int i = 0; i < completion.TokenIds.Count; i++)
        {
            var logp = DecoderCacheTests.LastLogits(_model, [.. context]).log_softmax(-1)[completion.TokenIds[i]].item<float>();
            Assert.Equal(logp, completion.Logprobs![i], 3);
            context.Add(completion.TokenIds[i]);
        }
    }

    [Fact]
    public async Task StopSequencesEndTheSampleAndAreRemoved()
    {
        using var engine = Engine();
        var free = (await engine.SampleAsync(Request(temperature: 0, maxNew: 12))).Completions[0].Text;
        string stop = free.Substring(4, 2);
        int at = free.IndexOf(stop, StringComparison.Ordinal);
        var request = Request(temperature: 0, maxNew: 12) with { Options = new SamplingOptions { Temperature = 0, MaxNewTokens = 12, StopSequences = [stop] } };
        var stopped = (await engine.SampleAsync(request)).Completions[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free[..at], stopped.Text);
    }

    [Fact]
    public async Task StepDelimiterPausesAfterTheDelimiterAndKeepsIt()
    {
        using var engine = Engine();
        var free = (await engine.SampleAsync(Request(temperature: 0, maxNew: 12))).Completions[0].Text;
        string delimiter = free[3].ToString();
        var request = Request(temperature: 0, maxNew: 12) with { Options = new SamplingOptions { Temperature = 0, MaxNewTokens = 12, StepDelimiter = delimiter } };
        var step = (await engine.SampleAsync(request)).Completions[0];
        Assert.Equal(FinishReason.StepBoundary, step.FinishReason);
        Assert.Equal(free[..(free.IndexOf(delimiter, StringComparison.Ordinal) + 1)], step.Text);
    }

    [Fact]
    public async Task EndOfSequenceStopsTheSampleAndIsNotInTheText()
    {
        var reference = GreedyReference(PromptTokens(), 8);
        int eos = reference[4];
        var tokenizer = new EosOverride(_tokenizer, eos);
        using var engine = new GenerationEngine(_model, tokenizer);
        var completion = (await engine.SampleAsync(Request(temperature: 0, maxNew: 8))).Completions[0];
        int first = reference.IndexOf(eos);
        Assert.Equal(FinishReason.Stop, completion.FinishReason);
        Assert.Equal(reference.Take(first + 1), completion.TokenIds);
        Assert.Equal(_tokenizer.Decode(reference.Take(first)), completion.Text);
    }

    [Fact]
    public async Task MaxNewTokensEndsWithLength()
    {
        using var engine = Engine();
        var result = await engine.SampleAsync(Request(n: 4, maxNew: 7) with { Options = new SamplingOptions { MaxNewTokens = 7, Seed = 3 } });
        Assert.All(result.Completions, c =>
        {
            Assert.Equal(FinishReason.Length, c.FinishReason);
            Assert.Equal(7, c.GeneratedTokens);
        });
    }

    [Fact]
    public async Task StopAfterFinishedReturnsTheFirstFinishersAndAbandonsTheRest()
    {
        using var engine = Engine();
        // Frequent single-character stops make lengths vary across rows.
        var options = new SamplingOptions { Temperature = 1.5, MaxNewTokens = 40, Seed = 9, StopSequences = ["a", "1", "="] };
        var result = await engine.SampleAsync(new SampleRequest { Prompt = Prompt, N = 8, Options = options, StopAfterFinished = 2 });
        var finished = result.Completions.Where(c => c.FinishReason != FinishReason.Abandoned).ToList();
        Assert.InRange(finished.Count, 2, 8);
        int shortestFinished = finished.Min(c => c.GeneratedTokens);
        Assert.All(result.Completions.Where(c => c.FinishReason == FinishReason.Abandoned), c => Assert.True(c.GeneratedTokens >= shortestFinished));
        Assert.True(result.Usage.GeneratedTokens < 8 * 40);
        Assert.Equal(result.Completions.Sum(c => c.GeneratedTokens), result.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task ManyPrefixesInOneBatchMatchSeparateCalls()
    {
        string[] prefixes = ["", "1", "19", "a+b"];
        using var batched = Engine(reuse: false);
        var together = await batched.SampleAsync(Request(n: 2, temperature: 0, maxNew: 6, prefixes: prefixes));
        Assert.Equal(8, together.Completions.Count);
        for (int p = 0; p < prefixes.Length; p++)
        {
            var expected = GreedyReference(PromptTokens(prefixes[p]), 6);
            Assert.Equal(p, together.Completions[2 * p].PrefixIndex);
            Assert.Equal(expected, together.Completions[2 * p].TokenIds);
            Assert.Equal(expected, together.Completions[2 * p + 1].TokenIds);
        }
    }

    [Fact]
    public async Task ReusedCacheGivesTheSameTokensAndComputesLess()
    {
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 8, StepDelimiter = "1" };
        using var reusing = Engine(reuse: true);
        using var fresh = Engine(reuse: false);
        var first = await reusing.SampleAsync(new SampleRequest { Prompt = Prompt, N = 2, Options = options with { StepDelimiter = null, MaxNewTokens = 5 } });
        Assert.True(reusing.RetainedCacheRows >= 2);
        string prefix = first.Completions[0].Text;

        var request = new SampleRequest { Prompt = Prompt, Prefixes = [prefix, prefix + "2"], N = 1, Options = options };
        var reused = await reusing.SampleAsync(request);
        var recomputed = await fresh.SampleAsync(request);
        Assert.Equal(recomputed.Completions.Select(c => c.TokenIds), reused.Completions.Select(c => c.TokenIds));
        Assert.True(reused.Usage.PromptTokens < recomputed.Usage.PromptTokens,
            $"reused prefill {reused.Usage.PromptTokens} tokens, fresh {recomputed.Usage.PromptTokens}; first: {string.Join(",", first.Completions[0].TokenIds)} '{prefix}' {first.Completions[0].FinishReason}");
    }

    [Fact]
    public async Task CancellationMidGenerationStopsPromptlyAndReportsWhatWasSpent()
    {
        // No end-of-sequence token, so only cancellation can end it early. The tokenizer cancels the token
        // on its 50th decode (the engine decodes once per row per step to look for the stop sequence):
        // deterministically mid-generation, whatever the machine's speed.
        var config = _model.Config with { MaxPositionEmbeddings = 4096, EosTokenIds = [] };
        using var model = TinyModels.Random(config, seed: 4);
        using var cts = new CancellationTokenSource();
        using var engine = new GenerationEngine(model, new CancelOnDecode(new EosOverride(_tokenizer, -1), cts, afterDecodes: 50));
        var request = new SampleRequest { Prompt = Prompt, N = 4, Options = new SamplingOptions { MaxNewTokens = 4000, Seed = 1, StopSequences = ["never generated: ~"] } };
        var error = await Assert.ThrowsAsync<SamplingCanceledException>(() => engine.SampleAsync(request, cts.Token));
        Assert.True(error.Partial.Usage.GeneratedTokens > 0);
        Assert.InRange(error.Partial.Usage.GeneratedTokens, 4 * 12, 4 * 14); // cancelled on step 13 of 4000
        Assert.All(error.Partial.Completions, c => Assert.Equal(FinishReason.Abandoned, c.FinishReason));
    }

    [Fact]
    public async Task APromptLongerThanTheContextIsAClearError()
    {
        using var engine = Engine();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.SampleAsync(new SampleRequest { Prompt = new string('1', 200) }));
        Assert.Contains("max_position_embeddings", error.Message);
        Assert.Contains("prompt", error.Message);
    }

    [Fact]
    public async Task InvalidRequestsNameTheParameter()
    {
        using var engine = Engine();
        var n = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.SampleAsync(new SampleRequest { Prompt = Prompt, N = 0 }));
        Assert.Equal("N", n.ParamName);
        var topP = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.SampleAsync(new SampleRequest { Prompt = Prompt, Options = new() { TopP = 1.01 } }));
        Assert.Equal("TopP", topP.ParamName);
        var temperature = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.SampleAsync(new SampleRequest { Prompt = Prompt, Options = new() { Temperature = -1 } }));
        Assert.Equal("Temperature", temperature.ParamName);
    }

    [Fact]
    public void RepeatedCallsLeaveNoTensorsBehind()
    {
        using var engine = Engine(reuse: true);
        var request = Request(n: 4, maxNew: 10) with { Options = new SamplingOptions { MaxNewTokens = 10, Seed = 2, StepDelimiter = "1" } };
        engine.Generate(request, CancellationToken.None); // warm up: the retained cache exists from here on
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) engine.Generate(request with { Options = request.Options with { Seed = i } }, CancellationToken.None);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    private sealed class CancelOnDecode(ITextTokenizer inner, CancellationTokenSource cts, int afterDecodes) : ITextTokenizer
    {
        private int _decodes;
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids)
        {
            if (++_decodes == afterDecodes) cts.Cancel();
            return inner.Decode(ids);
        }
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
    }

    private sealed class EosOverride(ITextTokenizer inner, int eos) : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => [eos];
    }
}
