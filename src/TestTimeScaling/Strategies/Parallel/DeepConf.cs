namespace TestTimeScaling;

/// <summary>How DeepConf spends its traces.</summary>
public enum DeepConfMode
{
    /// <summary>Draw every trace in full, then vote over the most confident ones, weighted by confidence.</summary>
    Offline,
    /// <summary>Calibrate a threshold on warm-up traces, then stop each later trace as soon as its confidence drops below it.</summary>
    Online,
}

/// <summary>
/// DeepConf: majority vote filtered and weighted by the traces' own confidence, computed from the log-probabilities
/// of their tokens; online, low-confidence traces are stopped early so they cost little. Needs no verifier.
/// </summary>
/// <remarks>
/// <para>Fu, Wang, Tian and Zhao, "Deep Think with Confidence" (2025).</para>
/// <para>Confidence: see <c>TraceConfidence</c>. Group confidence C_G is the confidence of a sliding window of
/// <see cref="Window"/> tokens (the paper's group size n, 2048 for long reasoning; a few dozen suit short
/// solutions); a trace's lowest group confidence is the minimum over its windows, its tail confidence the last
/// window's, its average the whole trace's (<see cref="Measure"/>). The paper's token confidence averages the top-k
/// candidates' log-probabilities; the samplers here report the chosen token's only, so the chosen token's
/// log-probability stands in for it (an approximation, documented on <c>TraceConfidence</c>).</para>
/// <para>Offline: N traces; keep the top η percent (<see cref="KeepPercent"/>) by confidence; the answer is the
/// confidence-weighted vote over the kept traces (weight = C).</para>
/// <para>Online: N_init warm-up traces (<see cref="Warmup"/>) are drawn in full; the stopping threshold s is the
/// (100 − η)-th percentile of their lowest group confidences, so the top η percent of them would pass. The other
/// N − N_init traces are generated step by step (one batched call per step at the step delimiter, the context's or a
/// line break); after each step a trace whose latest full window (or, once finished, its whole text when shorter
/// than a window) has confidence below s is stopped and does not vote. Warm-up traces below s do not vote either.
/// The vote is confidence-weighted over the rest. The trace records the traces stopped and their tokens.</para>
/// <para>Budget: each trace is one sample (<see cref="Budget.MaxSamples"/> caps traces, stopped ones included); the
/// token budget is exact (rows are cut where it runs out and the vote uses what finished).</para>
/// </remarks>
public sealed class DeepConf : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="n">Traces N; positive.</param>
    /// <param name="mode">Offline filtering or online early stopping.</param>
    /// <param name="keepPercent">η: the percent of traces kept (offline) or of warm-up traces that pass the threshold (online), in (0, 100]. The paper's DeepConf-low is 10, DeepConf-high 90.</param>
    /// <param name="window">Group size n in tokens; positive.</param>
    /// <param name="warmup">Warm-up traces N_init (online); positive.</param>
    /// <param name="measure">Which confidence ranks and weights traces.</param>
    /// <param name="maxSteps">Most steps of an online trace; positive.</param>
    public DeepConf(int n = 16, DeepConfMode mode = DeepConfMode.Offline, double keepPercent = 90, int window = 16, int warmup = 4,
        ConfidenceMeasure measure = ConfidenceMeasure.LowestGroup, int maxSteps = 40)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmup);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown DeepConf mode.");
        if (!Enum.IsDefined(measure)) throw new ArgumentOutOfRangeException(nameof(measure), measure, "Unknown confidence measure.");
        if (double.IsNaN(keepPercent) || keepPercent <= 0 || keepPercent > 100)
            throw new ArgumentOutOfRangeException(nameof(keepPercent), keepPercent, "keepPercent (η) must be in (0, 100].");
        N = n;
        Mode = mode;
        KeepPercent = keepPercent;
        Window = window;
        Warmup = warmup;
        Measure = measure;
        MaxSteps = maxSteps;
    }

    /// <summary>Traces N.</summary>
    public int N { get; }

    /// <summary>Offline or online.</summary>
    public DeepConfMode Mode { get; }

    /// <summary>η, percent of traces kept.</summary>
    public double KeepPercent { get; }

    /// <summary>Group size n in tokens.</summary>
    public int Window { get; }

    /// <summary>Warm-up traces N_init (online).</summary>
    public int Warmup { get; }

    /// <summary>Confidence used to rank and weight.</summary>
    public ConfidenceMeasure Measure { get; }

    /// <summary>Most steps of an online trace.</summary>
    public int MaxSteps { get; }

    /// <inheritdoc />
    public string Name => Mode == DeepConfMode.Online ? "deepconf-online" : "deepconf";

    private sealed class Trace(string text, int tokens, List<float> logprobs, FinishReason finish)
    {
        public string Text { get; set; } = text;
        public int Tokens { get; set; } = tokens;
        public List<float> Logprobs { get; } = logprobs;
        public FinishReason Finish { get; set; } = finish;
        public bool Finished { get; set; } = true;
        public bool Stopped { get; set; }
        public bool Votes { get; set; } = true;
        public double Confidence { get; set; }
    }

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            if (Mode == DeepConfMode.Online) run.RequireStepDelimiter();
            int first = Mode == DeepConfMode.Online ? Math.Min(Warmup, N) : N;
            var traces = await DrawAsync(run, first).ConfigureAwait(false);
            bool cut = traces.Count < first;
            foreach (var t in traces) t.Confidence = TraceConfidence.Of(t.Logprobs, Window, Measure);

            if (Mode == DeepConfMode.Offline)
            {
                int keep = Math.Max(1, (int)Math.Ceiling(KeepPercent / 100.0 * traces.Count));
                // Stable order: among equal confidences the earlier trace is kept.
                var kept = traces.Select((t, i) => (t, i)).OrderByDescending(x => x.t.Confidence).ThenBy(x => x.i).Take(keep).Select(x => x.t).ToHashSet();
                foreach (var t in traces) t.Votes = kept.Contains(t);
            }
            else
            {
                var lowest = traces.Select(t => TraceConfidence.LowestGroup(t.Logprobs, Window)).ToList();
                double threshold = TraceConfidence.Percentile(lowest, 100 - KeepPercent);
                for (int i = 0; i < traces.Count; i++) traces[i].Votes = lowest[i] >= threshold;
                run.Trace.Add("calibrate", $"Threshold s = {threshold:F4} from {traces.Count} warm-up trace(s).",
                    new Dictionary<string, double> { ["threshold"] = threshold, ["warmup"] = traces.Count });
                if (traces.Count == first)
                {
                    int rest = Math.Min(N - first, run.SamplesLeft);
                    cut |= rest < N - first;
                    var online = await RunOnlineAsync(run, rest, threshold, traces).ConfigureAwait(false);
                    cut |= online;
                }
            }

            var candidates = new List<(Candidate Candidate, Trace Trace)>();
            foreach (var t in traces.Where(t => t.Tokens > 0 || t.Text.Length > 0))
                candidates.Add((run.AddCandidate(t.Text, t.Tokens, t.Stopped ? FinishReason.Abandoned : t.Finish), t));
            var voters = candidates.Where(c => c.Trace.Votes && !c.Trace.Stopped).ToList();
            var vote = WeightedVote.Select(voters.Select(v => (v.Candidate.Answer, v.Trace.Confidence)));
            run.Trace.Add("vote", $"Confidence-weighted vote over {voters.Count} of {candidates.Count} trace(s): {vote.Winner ?? "(none)"}.",
                vote.ScoresByAnswer());
            var chosen = voters.Where(v => vote.Winner is not null && v.Candidate.Answer == vote.Winner)
                .OrderByDescending(v => v.Trace.Confidence).Select(v => v.Candidate).FirstOrDefault();
            return run.Result(run.OutcomeFor(cut), chosen);
        });

    // Whole traces, in waves that fit the token budget (as the parallel strategies draw), keeping the log-probabilities.
    private static async Task<List<Trace>> DrawAsync(SearchRun run, int n)
    {
        var options = run.Sampling with { StepDelimiter = null, IncludeLogprobs = true };
        var traces = new List<Trace>();
        int asked = 0;
        while (asked < n && run.SamplesLeft > 0 && run.TokensLeft > 0)
        {
            int rows = Math.Max(1, Math.Min(Math.Min(n - asked, run.SamplesLeft), run.RowsAffordable(options.MaxNewTokens)));
            var completions = await run.SampleAsync(run.Problem.Prompt, [""], rows, options).ConfigureAwait(false);
            run.ChargeSamples(rows);
            asked += rows;
            traces.AddRange(completions.Select(c => new Trace(c.Text, c.GeneratedTokens, [.. c.Logprobs ?? []], c.FinishReason)));
            if (completions.Count < rows) break;
        }
        return traces;
    }

    // Generates `count` traces step by step, stopping each once its confidence falls below the threshold; returns
    // whether the budget cut them short.
    private async Task<bool> RunOnlineAsync(SearchRun run, int count, double threshold, List<Trace> traces)
    {
        if (count <= 0) return false;
        run.ChargeSamples(count);
        var options = run.Sampling with { StepDelimiter = StepExpansion.Delimiter(run), IncludeLogprobs = true };
        var online = Enumerable.Range(0, count).Select(_ => new Trace("", 0, [], FinishReason.StepBoundary) { Finished = false }).ToList();
        traces.AddRange(online);
        bool cut = false;
        for (int step = 0; step < MaxSteps; step++)
        {
            var live = online.Where(t => !t.Finished).ToList();
            if (live.Count == 0) break;
            if (run.TokensLeft == 0) { cut = true; break; }
            var completions = await run.SampleAsync(run.Problem.Prompt, live.Select(t => t.Text).ToList(), 1, options).ConfigureAwait(false);
            if (completions.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
            var advanced = new HashSet<Trace>();
            foreach (var c in completions)
            {
                var t = live[c.PrefixIndex];
                advanced.Add(t);
                t.Text += c.Text;
                t.Tokens += c.GeneratedTokens;
                t.Logprobs.AddRange(c.Logprobs ?? []);
                t.Finish = c.FinishReason;
                t.Finished = c.FinishReason != FinishReason.StepBoundary || c.GeneratedTokens == 0 || run.Extract(t.Text) is not null;
                // Only full windows are judged while the trace runs; a finished trace shorter than one is judged whole.
                if ((t.Logprobs.Count >= Window || t.Finished) && TraceConfidence.LowestGroup(t.Logprobs, Window) < threshold)
                {
                    t.Stopped = true;
                    t.Finished = true;
                }
            }
            // A trace the sampler dropped cannot advance: end it where it stands.
            foreach (var t in live.Where(t => !advanced.Contains(t))) t.Finished = true;
        }
        foreach (var t in online.Where(t => !t.Finished)) t.Finished = true;
        foreach (var t in online) t.Confidence = TraceConfidence.Of(t.Logprobs, Window, Measure);

        var stopped = online.Where(t => t.Stopped).ToList();
        var warm = traces.Take(traces.Count - online.Count).ToList();
        double warmLength = warm.Count > 0 ? warm.Average(t => t.Tokens) : 0;
        double saved = Math.Max(0, stopped.Sum(t => warmLength - t.Tokens));
        run.Trace.Add("stop", $"{stopped.Count} of {online.Count} trace(s) stopped early after {stopped.Sum(t => t.Tokens)} token(s); about {saved:F0} token(s) saved.",
            new Dictionary<string, double> { ["stopped"] = stopped.Count, ["stoppedTokens"] = stopped.Sum(t => t.Tokens), ["tokensSavedEstimate"] = saved });
        return cut;
    }
}
