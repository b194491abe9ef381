using System.Threading.Channels;

namespace TestTimeScaling.Torch;

/// <summary>
/// Turns a streaming call's rows into <see cref="SampleUpdate"/>s as they grow: after every step the text each live
/// row can already promise, and when a row finishes, the rest of its final text. Runs on the scheduler's thread; the
/// reader is <see cref="GenerationEngine.StreamAsync"/>.
/// </summary>
/// <remarks>
/// The text a row promises is decoded from all its tokens, less what a later token could still change: a trailing
/// U+FFFD (the first bytes of a character whose last bytes have not been drawn yet) and a trailing piece that begins
/// one of the call's stop sequences (if the stop completes, it is cut from the final text). Text is emitted only
/// while the decode extends what was emitted before, so the updates always add up to the completion's text.
/// </remarks>
internal sealed class SampleStream(ITextTokenizer tokenizer, SamplingOptions options, ChannelWriter<SampleUpdate> writer)
{
    private readonly Dictionary<int, RowProgress> _rows = [];

    /// <summary>Reports what row <paramref name="index"/> (still generating) has added that no later token can change.</summary>
    public void Progress(int index, SampleRow row)
    {
        var progress = Of(index);
        if (progress.Finished) return;
        string text = tokenizer.Decode(row.Generated);
        int promised = Promised(text);
        string delta = "";
        if (promised > progress.Text.Length && text.StartsWith(progress.Text, StringComparison.Ordinal))
        {
            delta = text[progress.Text.Length..promised];
            progress.Text = text[..promised];
        }
        if (delta.Length > 0 || row.Generated.Count > progress.Tokens)
            writer.TryWrite(Update(index, row, progress, delta, finish: null));
    }

    /// <summary>Reports row <paramref name="index"/>'s last update: the rest of <paramref name="completion"/>'s text and why it stopped.</summary>
    public void Finish(int index, SampleRow row, Completion completion)
    {
        var progress = Of(index);
        if (progress.Finished) return;
        progress.Finished = true;
        // The final text extends what was promised (see the remarks); a tokenizer whose decode rewrote earlier text
        // would break that, and then the update carries what is new past the promised length.
        string delta = completion.Text.Length > progress.Text.Length ? completion.Text[progress.Text.Length..] : "";
        writer.TryWrite(Update(index, row, progress, delta, completion.FinishReason));
    }

    /// <summary>Ends the stream (the call completed, failed or was cancelled).</summary>
    public void Close() => writer.TryComplete();

    private SampleUpdate Update(int index, SampleRow row, RowProgress progress, string delta, FinishReason? finish)
    {
        int from = progress.Tokens;
        progress.Tokens = row.Generated.Count;
        return new SampleUpdate
        {
            Index = index,
            PrefixIndex = row.PrefixIndex,
            Text = delta,
            TokenIds = row.Generated.GetRange(from, row.Generated.Count - from),
            Logprobs = options.IncludeLogprobs && row.Logprobs.Count == row.Generated.Count ? row.Logprobs.GetRange(from, row.Logprobs.Count - from) : null,
            FinishReason = finish,
        };
    }

    /// <summary>How much of <paramref name="text"/> no later token can change.</summary>
    private int Promised(string text)
    {
        int end = text.Length;
        while (end > 0 && text[end - 1] == '\uFFFD') end--;
        int promised = end;
        foreach (var stop in options.StopSequences)
            for (int k = Math.Min(stop.Length - 1, end); k > 0; k--)
                if (text.AsSpan(end - k, k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    promised = Math.Min(promised, end - k);
                    break;
                }
        return promised;
    }

    private RowProgress Of(int index)
    {
        if (!_rows.TryGetValue(index, out var progress)) _rows[index] = progress = new RowProgress();
        return progress;
    }

    private sealed class RowProgress
    {
        public string Text { get; set; } = "";
        public int Tokens { get; set; }
        public bool Finished { get; set; }
    }
}
