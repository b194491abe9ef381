using System.Globalization;

namespace TestTimeScaling;

/// <summary>
/// Iterative refinement: generate a solution, verify it, ask the model to revise it using the verifier's
/// feedback, and keep the best-scored version.
/// </summary>
/// <remarks>
/// <para>"Review, Refine, Repeat: Understanding Iterative Decoding of AI Agents with Dynamic Evaluation and
/// Selection" (2025); Madaan et al., "Self-Refine" (2023); Chen et al., "Iterative Deepening Sampling" (2025).</para>
/// <para>Each revision revises the best version so far (a hill climb, so one bad revision does not derail the
/// chain). The revision prompt is <see cref="RevisionTemplate"/> with <c>{problem}</c>, <c>{solution}</c>,
/// <c>{feedback}</c> and <c>{score}</c> filled in; the default template starts with the problem so an engine can
/// reuse its cached prompt. Every version is scored against the original problem. The loop stops when a
/// version scores at least <see cref="SatisfiedScore"/>, after <see cref="MaxRevisions"/> revisions, or when
/// the budget is spent.</para>
/// <para>Budget: the draft and every revision are one sample each. Outcome: <see cref="SearchOutcome.Completed"/> when the
/// verifier was satisfied or all revisions were made, <see cref="SearchOutcome.BudgetExhausted"/> when the budget stopped it.</para>
/// </remarks>
public sealed class IterativeRefinement : ISearchStrategy
{
    /// <summary>The default revision prompt.</summary>
    public const string DefaultRevisionTemplate =
        "{problem}\nA previous attempt:\n{solution}\nReview: {feedback}\nWrite a corrected solution.\n";

    /// <summary>Creates the strategy.</summary>
    /// <param name="maxRevisions">Revisions after the first draft; zero or more.</param>
    /// <param name="satisfiedScore">A version scoring at least this ends the loop.</param>
    /// <param name="revisionTemplate">The revision prompt; must contain <c>{solution}</c>.</param>
    /// <param name="aggregation">For a process verifier, how step scores become the value; null keeps the verifier's own.</param>
    public IterativeRefinement(int maxRevisions = 3, double satisfiedScore = 1.0, string revisionTemplate = DefaultRevisionTemplate, StepAggregation? aggregation = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRevisions);
        if (double.IsNaN(satisfiedScore)) throw new ArgumentOutOfRangeException(nameof(satisfiedScore), satisfiedScore, "The satisfied score must be a number.");
        ArgumentException.ThrowIfNullOrEmpty(revisionTemplate);
        if (!revisionTemplate.Contains("{solution}", StringComparison.Ordinal))
            throw new ArgumentException("The revision template must contain {solution}.", nameof(revisionTemplate));
        MaxRevisions = maxRevisions;
        SatisfiedScore = satisfiedScore;
        RevisionTemplate = revisionTemplate;
        Aggregation = aggregation;
    }

    /// <summary>Revisions after the first draft.</summary>
    public int MaxRevisions { get; }

    /// <summary>The score that ends the loop.</summary>
    public double SatisfiedScore { get; }

    /// <summary>The revision prompt template.</summary>
    public string RevisionTemplate { get; }

    /// <summary>Step-score aggregation for process verifiers, or null.</summary>
    public StepAggregation? Aggregation { get; }

    /// <inheritdoc />
    public string Name => "iterative-refinement";

    /// <summary>The revision prompt for a version and its score.</summary>
    public string RevisionPrompt(Problem problem, Candidate best)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(best);
        var score = best.Score?.Value ?? double.NaN;
        var scoreText = score.ToString("0.###", CultureInfo.InvariantCulture);
        return RevisionTemplate
            .Replace("{problem}", problem.Prompt, StringComparison.Ordinal)
            .Replace("{solution}", best.Text, StringComparison.Ordinal)
            .Replace("{feedback}", best.Score?.Feedback ?? $"a verifier scored this attempt {scoreText}.", StringComparison.Ordinal)
            .Replace("{score}", scoreText, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("to judge each version"), Aggregation);
            Candidate? best = null;
            bool cut = false;
            for (int round = 0; round <= MaxRevisions; round++)
            {
                if (best is not null && best.Score!.Value >= SatisfiedScore) break;
                string? prompt = best is null ? null : RevisionPrompt(problem, best);
                var drawn = await ParallelDraw.DrawAsync(run, 1, prompt: prompt).ConfigureAwait(false);
                if (drawn.Count == 0) { cut = run.SamplesLeft == 0 || run.TokensLeft == 0; break; }
                var version = (await ParallelDraw.ScoreAsync(run, verifier, drawn).ConfigureAwait(false))[0];
                run.Trace.Add(round == 0 ? "draft" : "revise", $"Version {round} scored {version.Score!.Value:G4}, answer {version.Answer ?? "(none)"}.",
                    new Dictionary<string, double> { ["round"] = round, ["score"] = version.Score.Value });
                // Strictly better replaces, so ties keep the earlier version; an answerless version never displaces one with an answer.
                if (best is null || (version.Answer is not null && (best.Answer is null || version.Score.Value > best.Score!.Value))) best = version;
            }
            var chosen = Selection.Best(run.Candidates, Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });
}
