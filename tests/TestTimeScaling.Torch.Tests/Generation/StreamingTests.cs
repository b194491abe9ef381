using System.Text;
using System.Threading.Channels;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// <see cref="GenerationEngine.StreamAsync"/>: each sample's updates add up to what <see cref="GenerationEngine.SampleAsync"/>
/// returns for the same request (text, tokens, logprobs, finish reason), arrive step by step, hold back text a later
/// token could change, and leaving the stream early cancels the call without disturbing the others.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private readonly CharTokenizer _chars = new();

    private readonly LlamaDecoder _model = TinyModels.Random(
        TinyModels.Llama(new CharTokenizer().VocabSize) with { MaxPositionEmbeddings = 256, NumKeyValueHeads = 2, EosTokenIds = [] }, seed: 11);

    public void Dispose() => _model.Dispose();

    private GenerationEngine Engine(ITextTokenizer? tokenizer = null) =>
        new(_model, tokenizer ?? new NoEos(_chars), new GenerationEngineOptions { ReuseCacheAcrossCalls = false });

    /// <summary>Calls of different row counts, prefixes, sampling settings, stops, step delimiters, allowances and early stops.</summary>
    public static TheoryData<int> Calls() => new() { 0, 1, 2, 3, 4, 5, 6 };

    private static SampleRequest Call(int i) => i switch
    {
        0 => new() { Prompt = "q: 12+7\n", N = 3, Options = new() { MaxNewTokens = 20, Seed = 1, IncludeLogprobs = true } },
        1 => new() { Prompt = "q: 3*4-1\n", Options = new() { MaxNewTokens = 25, Seed = 2, Temperature = 0.7, TopK = 5 } },
        2 => new() { Prompt = "abc", N = 2, Options = new() { MaxNewTokens = 30, Seed = 3, StepDelimiter = "\n" } },
        3 => new() { Prompt = "q: 9\n", Prefixes = ["", "1+"], N = 2, Options = new() { MaxNewTokens = 18, Temperature = 0 } },
        4 => new() { Prompt = "q: 5+5\n", N = 4, MaxTotalNewTokens = 30, Options = new() { MaxNewTokens = 20, Seed = 5 } },
        5 => new() { Prompt = "q: 8-3\n", N = 3, StopAfterFinished = 1, Options = new() { MaxNewTokens = 40, Seed = 7, StopSequences = ["=", "9"] } },
        _ => new() { Prompt = "q: 1\n", N = 2, Options = new() { MaxNewTokens = 40, Seed = 9, StopSequences = ["+1", "ab", "77"] } },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_streamed_call_adds_up_to_the_call_sampled_whole(int call)
    {
        var request = Call(call);
        using var engine = Engine();
        var whole = await engine.SampleAsync(request);
        var updates = await Collect(engine.StreamAsync(request));

        Assert.Equal(whole.Completions.Count, updates.Select(u => u.Index).Distinct().Count());
        for (int i = 0; i < whole.Completions.Count; i++)
        {
            var expected = whole.Completions[i];
            var mine = updates.Where(u => u.Index == i).ToList();
            Assert.Equal(expected.Text, string.Concat(mine.Select(u => u.Text)));
            Assert.Equal(expected.TokenIds, mine.SelectMany(u => u.TokenIds).ToList());
            Assert.Equal(expected.Logprobs, request.Options.IncludeLogprobs ? mine.SelectMany(u => u.Logprobs!).ToList() : null);
            Assert.All(mine, u => Assert.Equal(expected.PrefixIndex, u.PrefixIndex));
            // Exactly one last update, and it is the sample's last.
            Assert.Single(mine, u => u.FinishReason is not null);
            Assert.Equal(expected.FinishReason, mine[^1].FinishReason);
        }
    }

    [Fact]
    public async Task Text_arrives_token_by_token_while_the_call_runs()
    {
        var request = new SampleRequest { Prompt = "q: 1\n", Options = new() { MaxNewTokens = 30, Seed = 4 } };
        using var engine = Engine();
        var updates = await Collect(engine.StreamAsync(request));
        // One character per token and no stop to hold text back: an update per step, each adding one character.
        Assert.Equal(30, updates.Count);
        Assert.All(updates, u => Assert.Single(u.TokenIds));
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.FinishReason));
        Assert.Equal(FinishReason.Length, updates[^1].FinishReason);
    }

    [Fact]
    public async Task Leaving_the_stream_early_cancels_the_call_and_leaves_other_calls_as_they_were()
    {
        using var engine = Engine();
        var other = new SampleRequest { Prompt = "q: 3*4-1\n", N = 2, Options = new() { MaxNewTokens = 60, Seed = 2 } };
        var alone = await engine.SampleAsync(other);

        // The loop runs a step only when the reader has taken an update, so it cannot finish the streamed call
        // before the reader leaves; once it has left, the loop runs freely.
        using var paced = new SemaphoreSlim(0);
        bool free = false;
        engine.Scheduler.DecodeStepRan = (_, _) =>
        {
            if (!Volatile.Read(ref free)) paced.Wait(TimeSpan.FromSeconds(10));
        };
        long stepsBefore = engine.Scheduler.DecodeSteps;
        Task<SampleResult>? running = null;
        int seen = 0;
        try
        {
            await foreach (var update in engine.StreamAsync(new SampleRequest { Prompt = "q: 7\n", Options = new() { MaxNewTokens = 200, Seed = 1 } }))
            {
                running ??= engine.SampleAsync(other);
                if (++seen == 3)
                {
                    Volatile.Write(ref free, true);
                    paced.Release(1000);
                    break;
                }
                paced.Release();
            }
        }
        finally
        {
            Volatile.Write(ref free, true);
            paced.Release(1000);
        }
        var beside = await running!;
        engine.Scheduler.DecodeStepRan = null;

        Assert.Equal(3, seen);
        for (int i = 0; i < alone.Completions.Count; i++) Assert.Equal(alone.Completions[i].TokenIds, beside.Completions[i].TokenIds);
        // The abandoned call stopped long before its 200 tokens: the batch ran the other call's 60 steps and a few more.
        Assert.True(engine.Scheduler.DecodeSteps - stepsBefore < 100, $"{engine.Scheduler.DecodeSteps - stepsBefore} steps ran");
        // The engine still serves.
        Assert.Equal(5, (await engine.SampleAsync(new SampleRequest { Prompt = "x", Options = new() { MaxNewTokens = 5, Seed = 1 } })).Completions[0].TokenIds.Count);
    }

    [Fact]
    public async Task A_cancelled_token_ends_the_stream_with_the_cancellation()
    {
        using var engine = Engine();
        using var cancel = new CancellationTokenSource();
        var received = new List<SampleUpdate>();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in engine.StreamAsync(new SampleRequest { Prompt = "q: 7\n", Options = new() { MaxNewTokens = 200, Seed = 1 } }, cancel.Token))
            {
                received.Add(update);
                if (received.Count == 2) cancel.Cancel();
            }
        });
        Assert.Equal(2, received.Count);
        Assert.Equal(cancel.Token, error.CancellationToken);
    }

    [Fact]
    public async Task An_invalid_request_fails_before_anything_is_streamed()
    {
        using var engine = Engine();
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => Collect(engine.StreamAsync(new SampleRequest { Prompt = "x", N = 0 })));
        Assert.Contains("N", error.Message);
    }

    [Fact]
    public void Text_that_could_begin_a_stop_sequence_is_held_until_the_next_token_decides_it()
    {
        var options = new SamplingOptions { StopSequences = ["xyz", "end"] };
        var (stream, updates) = Stream(_chars, options);
        var row = new SampleRow(0, []);
        foreach (char c in "hello x")
        {
            row.Generated.Add(_chars.Encode(c.ToString())[0]);
            stream.Progress(0, row);
        }
        // "x" may begin "xyz": held.
        Assert.Equal("hello ", Text(updates));
        row.Generated.Add(_chars.Encode("y")[0]);
        stream.Progress(0, row);
        Assert.Equal("hello ", Text(updates));
        row.Generated.Add(_chars.Encode("a")[0]);
        stream.Progress(0, row);
        Assert.Equal("hello xya", Text(updates));
        row.Generated.Add(_chars.Encode("e")[0]);
        stream.Progress(0, row);
        Assert.Equal("hello xya", Text(updates));
        // The stop completes: the final text is cut before it and the last update adds nothing past what was promised.
        stream.Finish(0, row, new Completion { Text = "hello xya", FinishReason = FinishReason.Stop });
        Assert.Equal("hello xya", Text(updates));
        Assert.Equal(FinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public void The_first_bytes_of_a_character_are_held_until_its_last_byte_arrives()
    {
        var bytes = new ByteTokenizer();
        var (stream, updates) = Stream(bytes, new SamplingOptions());
        var row = new SampleRow(0, []);
        foreach (byte b in Encoding.UTF8.GetBytes("a\u00e9\u20ac"))
        {
            row.Generated.Add(b);
            stream.Progress(0, row);
            Assert.DoesNotContain('\uFFFD', Text(updates));
        }
        Assert.Equal("a\u00e9\u20ac", Text(updates));
        // 6 bytes, 6 updates: the tokens are reported as they come even while their text waits.
        Assert.Equal(6, updates.Count);
        Assert.Equal([1, 1, 1, 1, 1, 1], updates.Select(u => u.TokenIds.Count));
    }

    private static (SampleStream Stream, List<SampleUpdate> Updates) Stream(ITextTokenizer tokenizer, SamplingOptions options)
    {
        var updates = new List<SampleUpdate>();
        var stream = new SampleStream(tokenizer, options, new ListWriter(updates));
        return (stream, updates);
    }

    private static string Text(IEnumerable<SampleUpdate> updates) => string.Concat(updates.Select(u => u.Text));

    private static async Task<List<SampleUpdate>> Collect(IAsyncEnumerable<SampleUpdate> stream)
    {
        var updates = new List<SampleUpdate>();
        await foreach (var update in stream) updates.Add(update);
        return updates;
    }

    /// <summary>A channel writer that keeps what it is given, so a test reads the updates in order as they are made.</summary>
    private sealed class ListWriter(List<SampleUpdate> updates) : ChannelWriter<SampleUpdate>
    {
        public override bool TryWrite(SampleUpdate item)
        {
            updates.Add(item);
            return true;
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);
    }

    private sealed class NoEos(ITextTokenizer inner) : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
        public bool AddBosToken => inner.AddBosToken;
        public int? BosTokenId => inner.BosTokenId;
        public IReadOnlyList<int> EosTokenIds => [];
    }

    /// <summary>One token per UTF-8 byte; an incomplete character decodes to U+FFFD, as byte-level tokenizers do.</summary>
    private sealed class ByteTokenizer : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.Select(i => (byte)i).ToArray());
        public bool AddBosToken => false;
        public int? BosTokenId => null;
        public IReadOnlyList<int> EosTokenIds => [];
    }
}
