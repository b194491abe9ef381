namespace TestTimeScaling;

/// <summary>
/// QAlign: Markov chain Monte Carlo over whole solutions, targeting the model's distribution tilted by the reward
/// model, p(y | x) · exp(r(y) / β); the answer is the majority vote over the chain's states after burn-in.
/// </summary>
/// <remarks>
/// <para>Faria and Smith, "Sample, Don't Search: Rethinking Test-Time Alignment for Language Models" (2025), built on
/// QUEST (Faria et al., 2024).</para>
/// <para>Proposal: from the current solution y with S(y) steps (split at the step delimiter, the context's or a line
/// break), pick a cut k uniformly in {0, …, S(y) − 1}, keep y's first k steps and sample the rest from the model
/// (a prefix continuation, cheap with the engine's prefix reuse), giving y'. Because the proposal is the model itself,
/// q(y' | y) = p(y'_{≥k} | x, y_{&lt;k}) / S(y), and the reverse move cuts y' at the same k, the model's probabilities
/// cancel in the Metropolis–Hastings ratio, which becomes</para>
/// <para>  α = min(1, exp((r(y') − r(y)) / β) · S(y) / S(y')),</para>
/// <para>the paper's rule with its length term |y| / |y'| measured in cut points (steps) instead of tokens. The
/// cancellation is exact when the sampler draws from the model itself (temperature 1, no top-k, top-p or min-p);
/// with other sampling settings the chain targets the tempered or truncated model tilted by the reward. r is the
/// verifier's value (process scores combined by <see cref="Aggregation"/>); β is <see cref="Beta"/>.</para>
/// <para><see cref="Chains"/> independent chains run side by side, one batched call per iteration. Each chain starts
/// from a full sample; after <see cref="BurnIn"/> of its <see cref="Iterations"/> iterations, every state (repeats
/// included, as MCMC samples) votes; the chosen candidate is the highest-scored proposal with the winning answer.</para>
/// <para>Budget: every row (initial sample or proposal) is one sample of <see cref="Budget.MaxSamples"/>; an
/// iteration with fewer samples left moves only that many chains. The token budget is exact: rows are cut where it
/// runs out (a cut proposal usually has no answer, scores low and is rejected) and the chain then stops.</para>
/// </remarks>
public sealed class QAlign : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="iterations">MCMC iterations T per chain after the initial sample; positive.</param>
    /// <param name="beta">β, the temperature of the reward tilt; positive. With scores in [0, 1], 0.1 makes a 0.1 score gap worth a factor e.</param>
    /// <param name="burnIn">Iterations whose states do not vote; in [0, iterations).</param>
    /// <param name="chains">Independent chains run in parallel; positive.</param>
    /// <param name="aggregation">How a process verifier's step scores become r(y).</param>
    public QAlign(int iterations = 15, double beta = 0.1, int burnIn = 0, int chains = 1, StepAggregation aggregation = StepAggregation.Last)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chains);
        ArgumentOutOfRangeException.ThrowIfNegative(burnIn);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(burnIn, iterations);
        if (double.IsNaN(beta) || beta <= 0 || double.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be a positive finite number.");
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        Iterations = iterations;
        Beta = beta;
        BurnIn = burnIn;
        Chains = chains;
        Aggregation = aggregation;
    }

    /// <summary>Iterations T per chain.</summary>
    public int Iterations { get; }

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <summary>Iterations discarded before voting.</summary>
    public int BurnIn { get; }

    /// <summary>Chains run in parallel.</summary>
    public int Chains { get; }

    /// <summary>Step-score aggregation for r(y).</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public string Name => "qalign";

    /// <summary>The Metropolis–Hastings acceptance probability min(1, exp((r' − r) / β) · S / S').</summary>
    /// <param name="reward">r(y) of the current state.</param>
    /// <param name="proposedReward">r(y') of the proposal.</param>
    /// <param name="cuts">S(y), cut points of the current state.</param>
    /// <param name="proposedCuts">S(y'), cut points of the proposal.</param>
    /// <param name="beta">β.</param>
    public static double AcceptanceProbability(double reward, double proposedReward, int cuts, int proposedCuts, double beta)
    {
        double log = (proposedReward - reward) / beta + Math.Log(Math.Max(1, cuts)) - Math.Log(Math.Max(1, proposedCuts));
        return log >= 0 ? 1.0 : Math.Exp(log);
    }

    /// <summary>The solution's steps: pieces ending with the delimiter (the last may not); empty text has none.</summary>
    /// <param name="text">A solution.</param>
    /// <param name="delimiter">The step delimiter.</param>
    public static IReadOnlyList<string> Steps(string text, string delimiter)
    {
        var steps = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int k = text.IndexOf(delimiter, start, StringComparison.Ordinal);
            int end = k < 0 ? text.Length : k + delimiter.Length;
            steps.Add(text[start..end]);
            start = end;
        }
        return steps;
    }

    private sealed record State(string Text, int Cuts, double Reward, Candidate Candidate);

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("a reward model to tilt the chain"), Aggregation);
            string delimiter = StepExpansion.Delimiter(run);
            var options = run.Sampling with { StepDelimiter = null };
            var random = run.CreateRandom();
            var voters = new List<Candidate>();

            // Initial states: one full sample per chain.
            int chains = Math.Min(Chains, run.SamplesLeft);
            bool cut = chains < Chains;
            var first = await run.SampleAsync(run.Problem.Prompt, [""], chains, options).ConfigureAwait(false);
            run.ChargeSamples(chains);
            var states = (await ScoreAsync(run, verifier, first.Select(c => (Text: c.Text, Completion: c)).ToList(), delimiter).ConfigureAwait(false)).ToList();
            int accepted = 0, proposed = 0;
            for (int it = 0; it < Iterations && states.Count > 0; it++)
            {
                int moving = Math.Min(states.Count, run.SamplesLeft);
                if (moving == 0 || run.TokensLeft == 0) { cut = true; break; }
                // Cut points and prefixes for the moving chains; the random draws are made in chain order, so a seed fixes them.
                var cuts = new int[moving];
                var prefixes = new List<string>(moving);
                for (int c = 0; c < moving; c++)
                {
                    var steps = Steps(states[c].Text, delimiter);
                    cuts[c] = steps.Count == 0 ? 0 : random.Next(steps.Count);
                    prefixes.Add(string.Concat(steps.Take(cuts[c])));
                }
                var completions = await run.SampleAsync(run.Problem.Prompt, prefixes, 1, options).ConfigureAwait(false);
                run.ChargeSamples(moving);
                if (completions.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
                var proposals = await ScoreAsync(run, verifier, completions.Select(c => (Text: prefixes[c.PrefixIndex] + c.Text, Completion: c)).ToList(), delimiter).ConfigureAwait(false);
                for (int i = 0; i < proposals.Count; i++)
                {
                    int chain = completions[i].PrefixIndex;
                    var (current, next) = (states[chain], proposals[i]);
                    double alpha = AcceptanceProbability(current.Reward, next.Reward, current.Cuts, next.Cuts, Beta);
                    proposed++;
                    if (random.NextDouble() < alpha) { states[chain] = next; accepted++; }
                }
                if (it >= BurnIn) voters.AddRange(states.Select(s => s.Candidate));
                run.Trace.Add("iteration", $"Iteration {it + 1}: {proposals.Count} proposal(s), {accepted} of {proposed} accepted so far.",
                    new Dictionary<string, double> { ["iteration"] = it + 1, ["proposals"] = proposals.Count, ["acceptanceRate"] = (double)accepted / proposed });
            }
            // With no iteration past burn-in (the budget ran out), the states as they stand vote.
            if (voters.Count == 0) voters.AddRange(states.Select(s => s.Candidate));
            var vote = MajorityVote.Select(voters.Select(v => v.Answer));
            run.Trace.Add("vote", $"Majority over {voters.Count} chain state(s): {vote.Winner ?? "(none)"}.", vote.ScoresByAnswer());
            var chosen = vote.Winner is null ? null : Selection.Best(run.Candidates.Where(c => c.Answer == vote.Winner), Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });

    // Scores full solutions and records each as a candidate.
    private static async Task<List<State>> ScoreAsync(SearchRun run, IVerifier verifier, List<(string Text, Completion Completion)> solutions, string delimiter)
    {
        var scores = await run.ScoreAsync(verifier, solutions.Select(s => s.Text).ToList()).ConfigureAwait(false);
        var states = new List<State>(solutions.Count);
        for (int i = 0; i < solutions.Count; i++)
        {
            var (text, c) = solutions[i];
            var candidate = run.AddCandidate(text, c.GeneratedTokens, c.FinishReason, scores[i]);
            states.Add(new State(text, Math.Max(1, Steps(text, delimiter).Count), scores[i].Value, candidate));
        }
        return states;
    }
}
