
namespace TestTimeScaling;

/// <summary>
/// The bookkeeping every strategy shares for one problem: budget checks before each call, usage summed
/// over sampler and verifier calls, per-call seeds, the candidate list, the trace, and cancellation.
/// </summary>
/// <remarks>
/// Keeping this in one place is what makes the rules hold for every strategy: a sampler call whose worst
/// case (rows × MaxNewTokens) does not fit the remaining token budget is refused here, so a strategy bug
/// cannot overspend; usage is recorded as soon as a call returns, so an early stop or a cancellation still
/// reports it.
/// </remarks>
internal sealed class SearchRun
{
    private long _calls;
    private int _scored;

    private SearchRun(string strategy, Problem problem, SearchContext context, CancellationToken cancellationToken)
    {
        Problem = problem;
        Context = context;
        CancellationToken = cancellationToken;
        Trace = new SearchTrace(strategy);
    }

    public Problem Problem { get; }
    public SearchContext Context { get; }
    public CancellationToken CancellationToken { get; }
    public SearchTrace Trace { get; }
    public ISampler Sampler => Context.Sampler;
    public SamplingOptions Sampling => Context.Sampling;
    public Usage Usage { get; private set; } = Usage.Zero;
    public List<Candidate> Candidates { get; } = [];

    /// <summary>Samples charged so far, in the strategy's own unit (see each strategy's docs).</summary>
    public int SamplesCharged { get; private set; }

    /// <summary>Tokens charged so far: per call, the larger of the sampler's reported usage and the completions' token counts.</summary>
    public long TokensCharged { get; private set; }

    public int SamplesLeft => Context.Budget.MaxSamples is { } m ? Math.Max(0, m - SamplesCharged) : int.MaxValue;
    public long TokensLeft => Context.Budget.MaxGeneratedTokens is { } m ? Math.Max(0, m - TokensCharged) : long.MaxValue;

    /// <summary>Rows a call can ask for when each may generate <paramref name="maxNewTokens"/> tokens.</summary>
    public int RowsAffordable(int maxNewTokens) =>
        TokensLeft == long.MaxValue ? int.MaxValue : (int)Math.Min(int.MaxValue, TokensLeft / Math.Max(1, maxNewTokens));

    /// <summary>
    /// Validates the inputs, runs <paramref name="body"/>, and turns cancellation of
    /// <paramref name="cancellationToken"/> into a <see cref="SearchOutcome.Cancelled"/> result with the usage spent.
    /// </summary>
    public static async Task<SearchResult> ExecuteAsync(string strategy, Problem problem, SearchContext context,
        CancellationToken cancellationToken, Func<SearchRun, Task<SearchResult>> body)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(context);
        if (problem.Prompt is null) throw new ArgumentException("The problem has no prompt.", nameof(problem));
        if (context.Sampler is null) throw new ArgumentException("The search context has no sampler.", nameof(SearchContext.Sampler));
        if (context.AnswerExtractor is null) throw new ArgumentException("The search context has no answer extractor.", nameof(SearchContext.AnswerExtractor));
        if (context.Budget is null) throw new ArgumentException("The search context has no budget.", nameof(SearchContext.Budget));
        if (context.Sampling is null) throw new ArgumentException("The search context has no sampling options.", nameof(SearchContext.Sampling));
        context.Budget.Validate();
        context.Sampling.Validate();

        var run = new SearchRun(strategy, problem, context, cancellationToken);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await body(run).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            run.Trace.Add("cancel", "Cancelled by the caller.", Figures(run.Usage));
            return run.Result(SearchOutcome.Cancelled, chosen: null);
        }
    }

    /// <summary>The verifier, or an <see cref="ArgumentException"/> naming it when the strategy needs one.</summary>
    public IVerifier RequireVerifier(string why) =>
        Context.Verifier ?? throw new ArgumentException($"Strategy '{Trace.Strategy}' needs a verifier ({why}); set SearchContext.Verifier.", nameof(SearchContext.Verifier));

    /// <summary>Throws <see cref="NotSupportedException"/> when the sampler cannot pause at step delimiters.</summary>
    public void RequireStepDelimiter()
    {
        if (!Sampler.Capabilities.StepDelimiter)
            throw new NotSupportedException($"Strategy '{Trace.Strategy}' searches step by step and needs a sampler that honours SamplingOptions.StepDelimiter; this sampler's capabilities say it does not.");
    }

    /// <summary>Adds an inner strategy's spending and trace to this run (composition).</summary>
    public void Absorb(SearchResult inner, int samplesCharged)
    {
        Usage += inner.Usage;
        TokensCharged += inner.Usage.GeneratedTokens;
        SamplesCharged += samplesCharged;
        Trace.AddInner(inner.Trace);
    }

    /// <summary>Charges samples to the budget.</summary>
    public void ChargeSamples(int count) => SamplesCharged += count;

    /// <summary>A seed for the next piece of randomness, or null when the context is unseeded.</summary>
    public long? NextSeed() => Sampling.Seed is { } s ? Seeds.Derive(s, _calls++) : null;

    /// <summary>A random generator for the strategy's own choices (resampling): seeded when the context is.</summary>
    public Random CreateRandom() => NextSeed() is { } s ? new Random(unchecked((int)s ^ (int)(s >> 32))) : new Random();

    /// <summary>
    /// Samples <paramref name="n"/> continuations of each prefix; splits the request when it exceeds the sampler's
    /// row limit, sets a derived seed per call, and records usage. Completions come back prefix-major with
    /// <see cref="Completion.PrefixIndex"/> indexing <paramref name="prefixes"/>; a sampler may return fewer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The call's worst case exceeds the token budget (a strategy bug).</exception>
    public async Task<IReadOnlyList<Completion>> SampleAsync(string prompt, IReadOnlyList<string> prefixes, int n,
        SamplingOptions options, int? stopAfterFinished = null)
    {
        long worst = (long)prefixes.Count * n * options.MaxNewTokens;
        if (worst > TokensLeft)
            throw new InvalidOperationException($"Strategy '{Trace.Strategy}' asked for {worst} worst-case tokens with {TokensLeft} left in the budget.");
        if (prefixes.Count == 0 || n <= 0) return [];

        var all = new List<Completion>(prefixes.Count * n);
        int maxRows = Math.Max(1, Sampler.Capabilities.MaxRowsPerRequest);
        foreach (var (first, count, rows) in Chunks(prefixes.Count, n, maxRows))
        {
            CancellationToken.ThrowIfCancellationRequested();
            var request = new SampleRequest
            {
                Prompt = prompt,
                Prefixes = prefixes.Skip(first).Take(count).ToList(),
                N = rows,
                Options = options with { Seed = NextSeed() },
                StopAfterFinished = stopAfterFinished,
            };
            SampleResult? result;
            try
            {
                result = await Sampler.SampleAsync(request, CancellationToken).ConfigureAwait(false);
            }
            catch (SamplingCanceledException canceled)
            {
                // Tokens generated before the cancellation were spent: report them.
                Usage += canceled.Partial.Usage;
                TokensCharged += canceled.Partial.Usage.GeneratedTokens;
                throw;
            }
            var completions = result?.Completions ?? [];
            var usage = result?.Usage ?? Usage.Zero;
            Usage += usage;
            TokensCharged += Math.Max(usage.GeneratedTokens, completions.Sum(c => (long)(c?.GeneratedTokens ?? 0)));
            foreach (var c in completions)
                if (c is not null && c.PrefixIndex >= 0 && c.PrefixIndex < count)
                    all.Add(c with { PrefixIndex = c.PrefixIndex + first });
            // A call that returns after cancellation (a sampler may finish its batch) is paid for but not used.
            CancellationToken.ThrowIfCancellationRequested();
        }
        Trace.Add("sample", $"{prefixes.Count} prefix(es) x {n}: {all.Count} completion(s).", Figures(Usage));
        return all;
    }

    // Whole prefixes per call when n fits the row limit, else one prefix split into several calls.
    private static IEnumerable<(int First, int Count, int N)> Chunks(int prefixes, int n, int maxRows)
    {
        if (n <= maxRows)
        {
            int per = Math.Max(1, maxRows / n);
            for (int i = 0; i < prefixes; i += per) yield return (i, Math.Min(per, prefixes - i), n);
            yield break;
        }
        for (int i = 0; i < prefixes; i++)
            for (int left = n; left > 0; left -= maxRows) yield return (i, 1, Math.Min(maxRows, left));
    }

    /// <summary>
    /// Scores <paramref name="solutions"/>; a throwing or contract-breaking verifier becomes a <see cref="VerifierException"/>
    /// naming the index of the first solution in the order this run scored them. Verifier calls are counted in the usage.
    /// </summary>
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(IVerifier verifier, IReadOnlyList<string> solutions)
    {
        if (solutions.Count == 0) return [];
        CancellationToken.ThrowIfCancellationRequested();
        int firstIndex = _scored;
        _scored += solutions.Count;
        Usage += new Usage { VerifierCalls = solutions.Count };
        IReadOnlyList<VerifierScore> scores;
        try
        {
            scores = await verifier.ScoreAsync(Problem, solutions, CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new VerifierException(Trace.Strategy, firstIndex, solutions.Count, Usage, e.Message, e);
        }
        if (scores is null || scores.Count != solutions.Count)
            throw new VerifierException(Trace.Strategy, firstIndex, solutions.Count, Usage, $"it returned {scores?.Count ?? 0} score(s) for {solutions.Count} solution(s).");
        for (int i = 0; i < scores.Count; i++)
            if (scores[i] is null || double.IsNaN(scores[i].Value))
                throw new VerifierException(Trace.Strategy, firstIndex + i, 1, Usage, "it returned a null or NaN score.");
        return scores;
    }

    /// <summary>Extracts the normalized answer of a solution.</summary>
    public string? Extract(string solution) => Context.AnswerExtractor.Extract(solution);

    /// <summary>Makes a candidate from a full solution text and the completion that ended it, and records it.</summary>
    public Candidate AddCandidate(string text, int generatedTokens, FinishReason finish, VerifierScore? score = null)
    {
        var candidate = new Candidate { Text = text, Answer = Extract(text), GeneratedTokens = generatedTokens, FinishReason = finish, Score = score };
        Candidates.Add(candidate);
        return candidate;
    }

    /// <summary>Replaces a recorded candidate (for example once it is scored).</summary>
    public void Replace(Candidate old, Candidate updated)
    {
        int i = Candidates.IndexOf(old);
        if (i >= 0) Candidates[i] = updated;
    }

    /// <summary>
    /// The result: <see cref="SearchOutcome.NoAnswer"/> when nothing was chosen (unless cancelled), else the given outcome.
    /// </summary>
    public SearchResult Result(SearchOutcome outcome, Candidate? chosen, string? answer = null)
    {
        answer ??= chosen?.Answer;
        if (answer is null && outcome != SearchOutcome.Cancelled) outcome = SearchOutcome.NoAnswer;
        Trace.Add("finish", $"{outcome}: answer {answer ?? "(none)"} from {Candidates.Count} candidate(s).", Figures(Usage));
        return new SearchResult
        {
            Answer = answer,
            Chosen = chosen,
            Candidates = Candidates.ToList(),
            Usage = Usage,
            Outcome = outcome,
            Trace = Trace,
        };
    }

    /// <summary>Completed, or BudgetExhausted when the budget cut the strategy short.</summary>
    public static SearchOutcome OutcomeFor(bool budgetCut) => budgetCut ? SearchOutcome.BudgetExhausted : SearchOutcome.Completed;

    public static IReadOnlyDictionary<string, double> Figures(Usage usage) => new Dictionary<string, double>
    {
        ["generatedTokens"] = usage.GeneratedTokens,
        ["verifierCalls"] = usage.VerifierCalls,
    };
}
