namespace TestTimeScaling;

/// <summary>
/// Budget forcing: keep one chain of thought between a minimum and a maximum number of thinking tokens.
/// </summary>
/// <remarks>
/// <para>Muennighoff et al., "s1: Simple test-time scaling" (2025); applied to medical reasoning in
/// "m1: Unleash the Potential of Test-Time Scaling for Medical Reasoning" (2025).</para>
/// <para>While fewer than <see cref="MinThinkingTokens"/> have been generated, an ending (the model stops, or
/// writes a final answer line) is suppressed: the answer line is stripped and <see cref="ContinueCue"/> is
/// appended, and generation continues from that text as a prefix (an engine with prefix caching reuses
/// the work). Once <see cref="MaxThinkingTokens"/> are spent, or the model stops without an answer after the
/// minimum, the answer is forced: <see cref="AnswerCue"/> is appended and a short completion of at most
/// <see cref="AnswerMaxTokens"/> tokens is sampled. Cues follow a line break when the text does not end with one.</para>
/// <para>Budget: the chain is one sample. Thinking is also capped so that the forced answer always fits in
/// <see cref="Budget.MaxGeneratedTokens"/>; when that cap, not MaxThinkingTokens, ended the thinking, the
/// outcome is <see cref="SearchOutcome.BudgetExhausted"/>. At most <see cref="MaxContinuations"/> cues are
/// appended, so a model that keeps stopping at once cannot loop forever.</para>
/// </remarks>
public sealed class BudgetForcing : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="minThinkingTokens">Thinking tokens before an ending is accepted; zero or more.</param>
    /// <param name="maxThinkingTokens">Thinking tokens after which the answer is forced; positive and at least the minimum.</param>
    /// <param name="continueCue">Text appended to suppress an early ending.</param>
    /// <param name="answerCue">Text appended to force the final answer.</param>
    /// <param name="answerMaxTokens">Most tokens of the forced answer; positive.</param>
    /// <param name="maxContinuations">Most times the continue cue is appended; zero or more.</param>
    public BudgetForcing(int minThinkingTokens, int maxThinkingTokens, string continueCue = "Wait",
        string answerCue = "A: ", int answerMaxTokens = 16, int maxContinuations = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minThinkingTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxThinkingTokens);
        if (maxThinkingTokens < minThinkingTokens)
            throw new ArgumentOutOfRangeException(nameof(maxThinkingTokens), maxThinkingTokens, "The maximum thinking budget must be at least the minimum.");
        ArgumentException.ThrowIfNullOrEmpty(continueCue);
        ArgumentException.ThrowIfNullOrEmpty(answerCue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(answerMaxTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxContinuations);
        MinThinkingTokens = minThinkingTokens;
        MaxThinkingTokens = maxThinkingTokens;
        ContinueCue = continueCue;
        AnswerCue = answerCue;
        AnswerMaxTokens = answerMaxTokens;
        MaxContinuations = maxContinuations;
    }

    /// <summary>Thinking tokens before an ending is accepted.</summary>
    public int MinThinkingTokens { get; }

    /// <summary>Thinking tokens after which the answer is forced.</summary>
    public int MaxThinkingTokens { get; }

    /// <summary>Text appended to suppress an early ending (s1 uses "Wait").</summary>
    public string ContinueCue { get; }

    /// <summary>Text appended to force the final answer.</summary>
    public string AnswerCue { get; }

    /// <summary>Most tokens of the forced answer.</summary>
    public int AnswerMaxTokens { get; }

    /// <summary>Most times the continue cue is appended.</summary>
    public int MaxContinuations { get; }

    /// <inheritdoc />
    public string Name => "budget-forcing";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var options = run.Sampling with { StepDelimiter = null };
            string text = "";
            int thinking = 0, generated = 0, continuations = 0;
            bool budgetCut = false, force = false;
            var finish = FinishReason.Stop;
            run.ChargeSamples(1);

            while (true)
            {
                long tokenRoom = run.TokensLeft == long.MaxValue ? long.MaxValue : run.TokensLeft - AnswerMaxTokens;
                int maxNew = (int)Math.Min(Math.Min(MaxThinkingTokens - thinking, options.MaxNewTokens), tokenRoom);
                if (maxNew <= 0)
                {
                    budgetCut = tokenRoom < MaxThinkingTokens - thinking;
                    force = true;
                    break;
                }
                var c = (await run.SampleAsync(run.Problem.Prompt, [text], 1, options with { MaxNewTokens = maxNew }).ConfigureAwait(false)).FirstOrDefault();
                if (c is null)
                {
                    run.Trace.Add("empty", "The sampler returned no completion.");
                    break;
                }
                text += c.Text;
                thinking += c.GeneratedTokens;
                generated += c.GeneratedTokens;
                finish = c.FinishReason;
                bool hasAnswer = run.Extract(text) is not null;
                bool ended = c.FinishReason == FinishReason.Stop || hasAnswer;
                if (!ended)
                {
                    // Cut by the per-call limit, or no progress: keep thinking while there is room, else force.
                    if (c.GeneratedTokens == 0) { force = true; break; }
                    continue;
                }
                if (thinking >= MinThinkingTokens || continuations >= MaxContinuations)
                {
                    force = !hasAnswer;
                    break;
                }
                text = WithCue(StripAnswerLine(run, text), ContinueCue);
                continuations++;
                run.Trace.Add("continue", $"Ended after {thinking} thinking tokens (minimum {MinThinkingTokens}); appended the continue cue.",
                    new Dictionary<string, double> { ["thinkingTokens"] = thinking });
            }

            if (force && run.TokensLeft > 0)
            {
                text = WithCue(StripAnswerLine(run, text), AnswerCue);
                int maxNew = (int)Math.Min(AnswerMaxTokens, run.TokensLeft);
                run.Trace.Add("force", $"Forcing the answer after {thinking} thinking tokens.", new Dictionary<string, double> { ["thinkingTokens"] = thinking });
                var a = (await run.SampleAsync(run.Problem.Prompt, [text], 1, options with { MaxNewTokens = maxNew }).ConfigureAwait(false)).FirstOrDefault();
                if (a is not null)
                {
                    text += a.Text;
                    generated += a.GeneratedTokens;
                    finish = a.FinishReason;
                }
            }
            var candidate = run.AddCandidate(text, generated, finish);
            return run.Result(run.OutcomeFor(budgetCut), candidate.Answer is null ? null : candidate);
        });

    // Drops the final non-empty line when it holds the answer, so the model cannot just restate it.
    private static string StripAnswerLine(SearchRun run, string text)
    {
        if (run.Extract(text) is null) return text;
        var trimmed = text.TrimEnd();
        int cut = trimmed.LastIndexOf('\n');
        return cut < 0 ? "" : trimmed[..(cut + 1)];
    }

    private static string WithCue(string text, string cue) =>
        text.Length == 0 || text.EndsWith('\n') ? text + cue : text + "\n" + cue;
}
