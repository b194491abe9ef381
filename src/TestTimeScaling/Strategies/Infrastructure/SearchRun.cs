
namespace TestTimeScaling;

/// <summary>
/// The bookkeeping every strategy shares for one problem: exact token budgets, usage summed over sampler and
/// verifier calls, per-call seeds, the candidate list, the trace, the checks on what samplers and verifiers
/// return, and cancellation.
/// </summary>
/// <remarks>
/// Keeping this in one place is what makes the rules hold for every strategy. Token budgets are exact: each
/// sampler call gets what is left of the budget as a shared allowance (<see cref="SampleRequest.MaxTotalNewTokens"/>),
/// or, for a sampler that cannot enforce one, a per-row cap of an equal share of it, so no call can overspend and a
/// strategy can spend its budget to the last token; tokens actually generated are charged. Usage is recorded as
/// soon as a call returns, so an early stop or a cancellation still reports it. A broken sampler result is a
/// <see cref="SamplerException"/>, a broken or non-finite score a <see cref="VerifierException"/>, and
/// cancellation a <see cref="SearchCanceledException"/>, the same for every strategy.
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

    /// <summary>Whether a token budget is set and every token of it has been spent.</summary>
    public bool TokensSpent => Context.Budget.MaxGeneratedTokens is not null && TokensLeft == 0;

    /// <summary>Rows a call can ask for when each may generate <paramref name="maxNewTokens"/> tokens.</summary>
    public int RowsAffordable(int maxNewTokens) =>
        TokensLeft == long.MaxValue ? int.MaxValue : (int)Math.Min(int.MaxValue, TokensLeft / Math.Max(1, maxNewTokens));

    /// <summary>
    /// Validates the inputs and runs <paramref name="body"/>; cancellation of <paramref name="cancellationToken"/>
    /// becomes a <see cref="SearchCanceledException"/> carrying the candidates and usage so far.
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
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            run.Trace.Add("cancel", "Cancelled by the caller.", Figures(run.Usage));
            throw new SearchCanceledException(run.Result(SearchOutcome.Cancelled, chosen: null), cancellationToken, e);
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
    /// Samples <paramref name="n"/> continuations of each prefix within what is left of the token budget; splits the
    /// request when it exceeds the sampler's row limit, sets a derived seed per call, checks and records what comes
    /// back. Completions come back prefix-major with <see cref="Completion.PrefixIndex"/> indexing
    /// <paramref name="prefixes"/>. Rows may come back cut (<see cref="FinishReason.Length"/>) where the budget ran
    /// out; once it is spent, nothing more is asked, so fewer rows (or none) may come back.
    /// </summary>
    /// <exception cref="SamplerException">The sampler returned a null result, completion, text or token list, a prefix index
    /// out of range, or more tokens than the call's allowance.</exception>
    public async Task<IReadOnlyList<Completion>> SampleAsync(string prompt, IReadOnlyList<string> prefixes, int n,
        SamplingOptions options, int? stopAfterFinished = null)
    {
        if (prefixes.Count == 0 || n <= 0) return [];

        var all = new List<Completion>(prefixes.Count * n);
        int maxRows = Math.Max(1, Sampler.Capabilities.MaxRowsPerRequest);
        foreach (var (first, chunkCount, chunkN) in Chunks(prefixes.Count, n, maxRows))
        {
            CancellationToken.ThrowIfCancellationRequested();
            if (TokensLeft == 0) break;
            var (count, rows, callOptions, allowance) = Allot(chunkCount, chunkN, options);
            var request = new SampleRequest
            {
                Prompt = prompt,
                Prefixes = prefixes.Skip(first).Take(count).ToList(),
                N = rows,
                Options = callOptions with { Seed = NextSeed() },
                StopAfterFinished = stopAfterFinished,
                MaxTotalNewTokens = allowance,
            };
            SampleResult? result;
            try
            {
                result = await Sampler.SampleAsync(request, CancellationToken).ConfigureAwait(false);
            }
            catch (SamplingCanceledException canceled)
            {
                // Tokens generated before the cancellation were spent: report them.
                Charge(canceled.Partial?.Usage ?? Usage.Zero, canceled.Partial?.Completions ?? []);
                throw;
            }
            var completions = Check(result, count, allowance);
            foreach (var c in completions) all.Add(c with { PrefixIndex = c.PrefixIndex + first });
            // A call that returns after cancellation (a sampler may finish its batch) is paid for but not used.
            CancellationToken.ThrowIfCancellationRequested();
        }
        Trace.Add("sample", $"{prefixes.Count} prefix(es) x {n}: {all.Count} completion(s).", Figures(Usage));
        return all;
    }

    // What one call may ask for: with a sampler that enforces a shared allowance, every row and the rest of the
    // budget; otherwise each row is capped at an equal share of what is left, and rows are dropped (from the end)
    // when there are more rows than tokens.
    private (int Prefixes, int N, SamplingOptions Options, long? Allowance) Allot(int prefixes, int n, SamplingOptions options)
    {
        if (Context.Budget.MaxGeneratedTokens is null) return (prefixes, n, options, null);
        long left = TokensLeft;
        int perRowCap = (int)Math.Min(options.MaxNewTokens, left);
        if (Sampler.Capabilities.SharedTokenAllowance)
            return (prefixes, n, options with { MaxNewTokens = perRowCap }, left);
        if ((long)prefixes * n > left)
        {
            if (n > left) { prefixes = 1; n = (int)left; }
            else prefixes = (int)(left / n);
        }
        long share = left / ((long)prefixes * n);
        return (prefixes, n, options with { MaxNewTokens = (int)Math.Min(perRowCap, share) }, left);
    }

    // Checks a sampler's result row by row and charges what it spent; returns its completions.
    private IReadOnlyList<Completion> Check(SampleResult? result, int prefixes, long? allowance)
    {
        string sampler = Sampler.GetType().Name;
        if (result is null) throw new SamplerException(Trace.Strategy, sampler, -1, Usage, "it returned a null result.");
        if (result.Completions is null) throw new SamplerException(Trace.Strategy, sampler, -1, Usage, "it returned a null completion list.");
        var completions = result.Completions;
        for (int i = 0; i < completions.Count; i++)
        {
            var c = completions[i];
            string? problem = c is null ? "the completion is null."
                : c.Text is null ? "the completion's text is null."
                : c.TokenIds is null ? "the completion's token ids are null."
                : c.PrefixIndex < 0 || c.PrefixIndex >= prefixes ? $"its prefix index {c.PrefixIndex} is outside [0, {prefixes})."
                : null;
            if (problem is not null)
            {
                Charge(result.Usage ?? Usage.Zero, completions);
                throw new SamplerException(Trace.Strategy, sampler, i, Usage, problem);
            }
        }
        long spent = Charge(result.Usage ?? Usage.Zero, completions);
        if (allowance is { } a && spent > a)
            throw new SamplerException(Trace.Strategy, sampler, -1, Usage, $"it generated {spent} tokens with an allowance of {a}.");
        return completions;
    }

    // Charges a call: usage as reported, tokens as the larger of the report and the completions' own counts.
    private long Charge(Usage usage, IReadOnlyList<Completion?> completions)
    {
        long counted = completions.Sum(c => (long)(c?.TokenIds?.Count ?? 0));
        long spent = Math.Max(usage.GeneratedTokens, counted);
        Usage += usage with { GeneratedTokens = spent };
        TokensCharged += spent;
        return spent;
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
    /// Scores <paramref name="solutions"/>. A throwing or contract-breaking verifier (wrong number of scores, a null
    /// score, a NaN or infinite value or step score) becomes a <see cref="VerifierException"/> naming the verifier and
    /// the index of the candidate in the order this run scored them. Verifier calls are counted in the usage.
    /// </summary>
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(IVerifier verifier, IReadOnlyList<string> solutions)
    {
        if (solutions.Count == 0) return [];
        CancellationToken.ThrowIfCancellationRequested();
        int firstIndex = _scored;
        _scored += solutions.Count;
        Usage += new Usage { VerifierCalls = solutions.Count };
        string name = VerifierName(verifier);
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
            throw new VerifierException(Trace.Strategy, name, firstIndex, solutions.Count, Usage, e.Message, e);
        }
        if (scores is null || scores.Count != solutions.Count)
            throw new VerifierException(Trace.Strategy, name, firstIndex, solutions.Count, Usage, $"it returned {scores?.Count ?? 0} score(s) for {solutions.Count} solution(s).");
        for (int i = 0; i < scores.Count; i++)
        {
            if (Invalid(scores[i]) is { } problem)
                throw new VerifierException(Trace.Strategy, name, firstIndex + i, 1, Usage, problem);
        }
        return scores;
    }

    // The one rule for scores: every value must be a finite number; finite negative scores are valid.
    private static string? Invalid(VerifierScore? score)
    {
        if (score is null) return "it returned a null score.";
        if (!double.IsFinite(score.Value)) return $"its score is {score.Value}; scores must be finite numbers.";
        if (score.StepScores is { } steps)
            for (int k = 0; k < steps.Count; k++)
                if (!double.IsFinite(steps[k])) return $"step score {k} is {steps[k]}; scores must be finite numbers.";
        return null;
    }

    private static string VerifierName(IVerifier verifier) =>
        (verifier is ProcessScoreAggregator a ? a.Inner : verifier).GetType().Name;

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

    /// <summary>
    /// Completed, or BudgetExhausted when the budget cut the strategy short: the strategy says so, or its token
    /// budget is spent to the last token (rows were then cut at the budget).
    /// </summary>
    public SearchOutcome OutcomeFor(bool budgetCut) => budgetCut || TokensSpent ? SearchOutcome.BudgetExhausted : SearchOutcome.Completed;

    public static IReadOnlyDictionary<string, double> Figures(Usage usage) => new Dictionary<string, double>
    {
        ["generatedTokens"] = usage.GeneratedTokens,
        ["verifierCalls"] = usage.VerifierCalls,
    };
}
