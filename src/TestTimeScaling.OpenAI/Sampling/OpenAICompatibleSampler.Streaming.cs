using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace TestTimeScaling.OpenAI;

public sealed partial class OpenAICompatibleSampler
{
    /// <inheritdoc />
    /// <remarks>
    /// Every request of the call is streamed (SSE), and each event the server sends becomes updates of the rows it
    /// names: the text, token ids and logprobs that arrived. A row's last update carries its finish reason, read as
    /// <see cref="SampleAsync"/> reads it (the step delimiter re-appended at a step boundary); rows cut short by
    /// <see cref="SampleRequest.StopAfterFinished"/> end <see cref="FinishReason.Abandoned"/>. Without token ids from the
    /// server, a row's tokens are counted when it ends and reported as -1 ids on its last update. The server should
    /// hold back text that may become a stop string, as vLLM and this project's server do.
    /// </remarks>
    /// <exception cref="OpenAICompatibleServerException">The server failed or answered garbage, after the updates that arrived.</exception>
    public async IAsyncEnumerable<SampleUpdate> StreamAsync(SampleRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();

        var jobs = PlanJobs(request);
        var updates = Channel.CreateUnbounded<SampleUpdate>(new UnboundedChannelOptions { SingleReader = true });
        // Cancelled by the caller's token, by enough finished rows, or by a reader that leaves early.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = RunStreamsAsync(request, jobs, updates.Writer, stop, cancellationToken);
        try
        {
            while (await updates.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (updates.Reader.TryRead(out var update))
                    yield return update;
            await run.ConfigureAwait(false);
        }
        finally
        {
            if (!run.IsCompleted)
            {
                stop.Cancel();
                try { await run.ConfigureAwait(false); }
                catch (Exception) { /* the reader has left: nobody is left to tell */ }
            }
        }
    }

    private async Task RunStreamsAsync(SampleRequest request, List<CompletionJob> jobs, ChannelWriter<SampleUpdate> writer, CancellationTokenSource stop,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = SamplerInstruments.Start(OpenTelemetryConsts.TextCompletion, Options.Model, request.Options, request.RowCount, _completionsUri);
        activity?.SetTag(OpenTelemetryConsts.HttpRequestCount, jobs.Count);
        var progress = new StreamProgress(this, request, jobs, writer);
        Exception? failure = null;
        try
        {
            var finish = new FinishCounter(request.StopAfterFinished ?? int.MaxValue, stop);
            var tasks = jobs.Select(job => RunJobAsync(job, request, stream: true, finish, stop, progress.ReportAsync)).ToArray();
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch
            {
                // Inspected below, as SampleAsync does: the first real failure wins over the cancellations it caused.
            }
            failure = tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
                ?? (cancellationToken.IsCancellationRequested ? null : tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null));
            // Rows that never finished were cut short: by enough finished rows, a failure, or cancellation.
            await progress.AbandonRestAsync().ConfigureAwait(false);
            if (failure is null && cancellationToken.IsCancellationRequested) failure = new OperationCanceledException(cancellationToken);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            writer.TryComplete();
        }
        SamplerInstruments.Stop(activity, OpenTelemetryConsts.TextCompletion, Options.Model, _completionsUri, Stopwatch.GetElapsedTime(started), null,
            failure is null ? progress.FinishReasons : null, failure);
        if (failure is not null) throw failure;
    }

    /// <summary>What each row of a streamed call has handed on so far, and the updates its new data makes.</summary>
    private sealed class StreamProgress(OpenAICompatibleSampler sampler, SampleRequest request, List<CompletionJob> jobs, ChannelWriter<SampleUpdate> writer)
    {
        // One entry per row, made up front: each job's task then touches only its own rows.
        private readonly Dictionary<ChoiceState, Row> _rows = Rows(jobs);
        private readonly System.Collections.Concurrent.ConcurrentQueue<FinishReason> _finishReasons = [];

        public IEnumerable<FinishReason> FinishReasons => _finishReasons;

        /// <summary>After an event of <paramref name="job"/>: each of its rows' new text and tokens, and the last update of rows that finished.</summary>
        public async Task ReportAsync(CompletionJob job)
        {
            for (int i = 0; i < job.N; i++)
            {
                var state = job.Choices[i];
                if (state.Finish is not null)
                {
                    await FinalAsync(job, i, MapFinish(state, request.Options.StepDelimiter, request.Options.StopSequences)).ConfigureAwait(false);
                    continue;
                }
                var row = RowOf(job, i);
                if (row.Done) continue;
                string text = state.Text.ToString();
                int tokens = state.TokensFromServer ? state.TokenCount : 0;
                if (text.Length > row.Text || tokens > row.Tokens)
                    writer.TryWrite(Update(job, i, row, text, tokens, finish: null));
            }
        }

        /// <summary>The last update of every row that has not had one.</summary>
        public async Task AbandonRestAsync()
        {
            foreach (var job in jobs)
                for (int i = 0; i < job.N; i++)
                    await FinalAsync(job, i, FinishReason.Abandoned).ConfigureAwait(false);
        }

        private async Task FinalAsync(CompletionJob job, int choice, FinishReason reason)
        {
            var row = RowOf(job, choice);
            if (row.Done) return;
            row.Done = true;
            _finishReasons.Enqueue(reason);
            var state = job.Choices[choice];
            string text = state.Text.ToString();
            string? delimiter = request.Options.StepDelimiter;
            if (reason == FinishReason.StepBoundary && !text.EndsWith(delimiter!, StringComparison.Ordinal)) text += delimiter;
            int tokens = state.TokensFromServer
                ? state.TokenCount
                : (await sampler._tokens.CountAsync(text, CancellationToken.None).ConfigureAwait(false)).Count;
            writer.TryWrite(Update(job, choice, row, text, tokens, reason));
        }

        private SampleUpdate Update(CompletionJob job, int choice, Row row, string text, int tokens, FinishReason? finish)
        {
            var state = job.Choices[choice];
            int from = Math.Min(row.Tokens, tokens);
            IReadOnlyList<int> ids = state.TokenIds is { } known && known.Count == state.TokenCount && state.TokensFromServer
                ? known.GetRange(from, tokens - from)
                : Enumerable.Repeat(-1, tokens - from).ToArray();
            // Token ids only while the server reports tokens; otherwise all of them, uncounted until the row ends.
            if (!state.TokensFromServer && finish is null) ids = [];
            var update = new SampleUpdate
            {
                Index = row.Index,
                PrefixIndex = job.PrefixIndex,
                Text = text.Length > row.Text ? text[row.Text..] : "",
                TokenIds = ids,
                Logprobs = request.Options.IncludeLogprobs && state.Logprobs is { } lp && lp.Count >= tokens ? lp.GetRange(from, tokens - from) : null,
                FinishReason = finish,
            };
            row.Text = Math.Max(row.Text, text.Length);
            row.Tokens = Math.Max(row.Tokens, tokens);
            return update;
        }

        private Row RowOf(CompletionJob job, int choice) => _rows[job.Choices[choice]];

        /// <summary>Completions are prefix-major: a job's rows follow the rows of the jobs planned before it.</summary>
        private static Dictionary<ChoiceState, Row> Rows(List<CompletionJob> jobs)
        {
            var rows = new Dictionary<ChoiceState, Row>();
            int index = 0;
            foreach (var job in jobs)
                foreach (var state in job.Choices)
                    rows[state] = new Row(index++);
            return rows;
        }

        private sealed class Row(int index)
        {
            public int Index { get; } = index;
            public int Text { get; set; }
            public int Tokens { get; set; }
            public bool Done { get; set; }
        }
    }
}
