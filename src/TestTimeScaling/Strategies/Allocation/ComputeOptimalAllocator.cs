namespace TestTimeScaling;

/// <summary>
/// Compute-optimal allocation across problems: a small pilot per problem estimates its difficulty, and the rest of a
/// total token budget goes where it is likely to pay: easy problems stop after the pilot, medium and hard ones get
/// more samples (or a search), hopeless ones little.
/// </summary>
/// <remarks>
/// <para>Snell, Lee, Xu and Kumar, "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model
/// Parameters" (2024): choosing the test-time strategy and budget per prompt by estimated difficulty beats a fixed
/// strategy at equal compute. Their difficulty is binned from the model's predicted success rate; here it is the
/// pilot's.</para>
/// <para>Pilot: k samples per problem (<see cref="PilotSamples"/>; self-consistency without a verifier, weighted
/// best-of-k with one, so the pilot's candidates are scored). With <see cref="AllocationPolicy.MarginalGain"/> it runs
/// in two stages: two samples per problem (each held to its share of what is left), then k − 2 more for the problems
/// whose two agree, when the pilots' total stays within <see cref="MaxPilotFraction"/> of the budget (so a small budget
/// is not spent on cut-off pilot rows). With <see cref="AllocationPolicy.LevelWeights"/> each pilot is k samples held
/// to at most k × MaxNewTokens and <see cref="MaxPilotFraction"/> of the total divided by the number of problems. The
/// success proxy p is the pilot's agreement (the share of samples giving the majority answer, samples cut by the
/// cap before an answer left out;
/// <see cref="PilotRun.FromAnswers"/>), or, with <see cref="DifficultyFromScores"/>, its average with the mean
/// verifier score of the pilot (<see cref="PilotRun.FromScores"/>); <see cref="Estimator"/> turns p into a level (by default 1: p ≥ 0.8, … 5: p &lt; 0.2).</para>
/// <para>Allocation (<see cref="Policy"/>). <see cref="AllocationPolicy.MarginalGain"/>, the default: a full pilot whose
/// samples all give one answer stops there; the rest of the budget goes greedily, a few samples at a time, to the
/// problem where the expected gain of its vote per token is highest: <see cref="GainModel"/>'s gain per sample over
/// the problem's vote so far (a split vote gains most; a diffuse one, the model guessing, little), divided by the
/// problem's mean tokens per sample. The batch size is the lookahead that achieved the gain, cut to what the unspent
/// tokens pay for. Spending goes on until no open problem's next sample fits in what is left (a problem whose sampler
/// returns nothing drops out, and so does one whose leader is ahead by more than the lookahead: no priced batch can
/// change its vote), so the allocator may leave tokens unspent rather than buy samples that cannot change an answer. <see cref="AllocationPolicy.LevelWeights"/>: level ℓ gets weight w_ℓ
/// (<see cref="LevelWeights"/>; default 0, 1, 2, 2, 0.5); problem i is offered floor(R · w_i / Σ_{j ≥ i} w_j) of the R
/// tokens still unspent, so what one problem leaves unused flows to the next, and the follow-up strategy for its
/// level (<see cref="FollowUpFor"/>; by default more of the pilot's strategy) runs under that token budget.</para>
/// <para>Either way the answer is a vote over all of a problem's candidates, pilot included: weighted by score when
/// every candidate is scored, a plain majority otherwise. Every inner run has an exact token budget of at most what
/// is unspent, so the total never exceeds the budget.</para>
/// <para>Seeds: with a seeded template, problem i's pilot gets a seed derived from (seed, 2i) (its confirming stage
/// from that and 1) and its follow-ups seeds derived from (seed, 2i + 1) (the j-th marginal-gain batch from that and
/// j), so results do not depend on the order of other problems' randomness. Cancellation surfaces as the inner
/// strategy's <see cref="SearchCanceledException"/>.</para>
/// </remarks>
public sealed class ComputeOptimalAllocator
{
    /// <summary>Creates an allocator.</summary>
    /// <param name="pilotSamples">k, pilot samples per problem; at least 2 (agreement needs two).</param>
    /// <param name="levelWeights">w_ℓ per difficulty level (index 0 is level 1); non-negative and finite, one per level of the estimator; null for the default.</param>
    /// <param name="estimator">Maps the pilot's success proxy to a level; null for <see cref="DifficultyEstimator.Default"/>.</param>
    /// <param name="followUpFor">The follow-up strategy for a level (1-based); null for more samples of the pilot's kind.</param>
    /// <param name="maxPilotFraction">Most of the total the pilots may take together, in (0, 1].</param>
    /// <param name="difficultyFromScores">Whether a verifier's pilot scores enter the success proxy; off by default, since on the
    /// embedded models agreement alone allocated better under both the learned PRM and the perfect verifier (docs/strategies-science.md).</param>
    /// <param name="policy">How the budget left after the pilots is spent.</param>
    /// <param name="gainModel">The vote's value model of <see cref="AllocationPolicy.MarginalGain"/>; null for the default.</param>
    /// <remarks>With <see cref="AllocationPolicy.MarginalGain"/>, <paramref name="levelWeights"/> and <paramref name="followUpFor"/>
    /// are not used (levels are still reported).</remarks>
    public ComputeOptimalAllocator(int pilotSamples = 4, IReadOnlyList<double>? levelWeights = null, DifficultyEstimator? estimator = null,
        Func<int, ISearchStrategy>? followUpFor = null, double maxPilotFraction = 0.5, bool difficultyFromScores = false,
        AllocationPolicy policy = AllocationPolicy.MarginalGain, MajorityGainModel? gainModel = null)
    {
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown allocation policy.");
        ArgumentOutOfRangeException.ThrowIfLessThan(pilotSamples, 2);
        if (double.IsNaN(maxPilotFraction) || maxPilotFraction <= 0 || maxPilotFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(maxPilotFraction), maxPilotFraction, "maxPilotFraction must be in (0, 1].");
        Estimator = estimator ?? DifficultyEstimator.Default;
        var weights = (levelWeights ?? (Estimator.Levels == 5 ? [0, 1, 2, 2, 0.5] : Enumerable.Repeat(1.0, Estimator.Levels).ToArray())).ToArray();
        if (weights.Length != Estimator.Levels)
            throw new ArgumentException($"levelWeights has {weights.Length} entries but the estimator has {Estimator.Levels} levels.", nameof(levelWeights));
        for (int i = 0; i < weights.Length; i++)
            if (!double.IsFinite(weights[i]) || weights[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(levelWeights), weights[i], $"levelWeights[{i}] must be a non-negative finite number.");
        PilotSamples = pilotSamples;
        LevelWeights = weights;
        FollowUpFor = followUpFor;
        MaxPilotFraction = maxPilotFraction;
        DifficultyFromScores = difficultyFromScores;
        Policy = policy;
        GainModel = gainModel ?? new MajorityGainModel();
    }

    /// <summary>How the budget left after the pilots is spent.</summary>
    public AllocationPolicy Policy { get; }

    /// <summary>The vote's value model of <see cref="AllocationPolicy.MarginalGain"/>.</summary>
    public MajorityGainModel GainModel { get; }

    /// <summary>Whether a verifier's pilot scores enter the success proxy.</summary>
    public bool DifficultyFromScores { get; }

    /// <summary>k, pilot samples per problem.</summary>
    public int PilotSamples { get; }

    /// <summary>w_ℓ per level (index 0 is level 1).</summary>
    public IReadOnlyList<double> LevelWeights { get; }

    /// <summary>The difficulty estimator.</summary>
    public DifficultyEstimator Estimator { get; }

    /// <summary>The follow-up strategy per level, or null for the default.</summary>
    public Func<int, ISearchStrategy>? FollowUpFor { get; }

    /// <summary>Most of the total the pilots may take together.</summary>
    public double MaxPilotFraction { get; }

    /// <summary>
    /// Solves every problem within <paramref name="totalTokens"/> generated tokens in all.
    /// </summary>
    /// <param name="problems">The problems; at least one.</param>
    /// <param name="template">Sampler, verifier, extractor and sampling settings for every run; its budget is ignored (the allocator sets each run's).</param>
    /// <param name="totalTokens">The total token budget; at least one token per problem.</param>
    /// <param name="cancellationToken">Cancels the remaining work.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or holds a null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalTokens"/> is too small to give every problem a pilot token.</exception>
    public async Task<AllocationResult> SolveAllAsync(IReadOnlyList<Problem> problems, SearchContext template, long totalTokens,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(template);
        if (problems.Count == 0) throw new ArgumentException("There are no problems to solve.", nameof(problems));
        for (int i = 0; i < problems.Count; i++)
            if (problems[i] is null) throw new ArgumentException($"problems[{i}] is null.", nameof(problems));
        if (template.Sampling is null) throw new ArgumentException("The template has no sampling options.", nameof(template));
        long pilotCap = Math.Min((long)PilotSamples * template.Sampling.MaxNewTokens, (long)(totalTokens * MaxPilotFraction) / problems.Count);
        if (pilotCap <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalTokens), totalTokens, $"A total of {totalTokens} tokens cannot pay a pilot for {problems.Count} problem(s).");

        bool scored = template.Verifier is not null;
        var usage = Usage.Zero;
        long Unspent() => totalTokens - usage.GeneratedTokens;

        // Pilot every problem first, so the allocation sees all difficulties.
        var states = new ProblemState[problems.Count];
        var rates = new double[problems.Count];
        var levels = new int[problems.Count];
        if (Policy == AllocationPolicy.LevelWeights)
        {
            for (int i = 0; i < problems.Count; i++)
            {
                var budget = new Budget(PilotSamples, Math.Min(pilotCap, Unspent()));
                var pilot = await MoreSamples(scored, PilotSamples).SolveAsync(problems[i], WithBudget(template, budget, 2L * i), cancellationToken).ConfigureAwait(false);
                usage += pilot.Usage;
                states[i] = new ProblemState(pilot);
            }
        }
        else
        {
            usage = await PilotInTwoStagesAsync(problems, template, totalTokens, states, scored, cancellationToken).ConfigureAwait(false);
        }
        for (int i = 0; i < problems.Count; i++)
        {
            rates[i] = SuccessProxy(states[i].Candidates, scored && DifficultyFromScores);
            levels[i] = Estimator.Level(rates[i]);
            states[i].PilotDone(PilotSamples);
        }

        if (Policy == AllocationPolicy.LevelWeights)
        {
            for (int i = 0; i < problems.Count; i++)
            {
                double weight = LevelWeights[levels[i] - 1];
                double weightLeft = Enumerable.Range(i, problems.Count - i).Sum(j => LevelWeights[levels[j] - 1]);
                long share = weight <= 0 || weightLeft <= 0 ? 0 : (long)Math.Floor(Unspent() * (weight / weightLeft));
                states[i].Allotted = share;
                if (share <= 0) continue;
                var followUp = FollowUpFor?.Invoke(levels[i]) ?? MoreSamples(scored, 1024);
                var more = await followUp.SolveAsync(problems[i], WithBudget(template, Budget.Tokens(share), 2L * i + 1), cancellationToken).ConfigureAwait(false);
                usage += more.Usage;
                states[i].Add(more, followUp.Name);
            }
        }
        else
        {
            usage = await SpendByGainAsync(problems, template, totalTokens, usage, states, scored, cancellationToken).ConfigureAwait(false);
        }

        var results = new ProblemAllocation[problems.Count];
        for (int i = 0; i < problems.Count; i++)
        {
            var s = states[i];
            bool allScored = scored && s.Candidates.All(c => c.Score is not null);
            var vote = allScored
                ? WeightedVote.Select(s.Candidates.Select(c => (c.Answer, c.Score!.Value)))
                : MajorityVote.Select(s.Candidates.Select(c => c.Answer));
            results[i] = new ProblemAllocation(problems[i], vote.Winner, levels[i], rates[i], s.Allotted, s.FollowUp, s.Usage, s.Candidates,
                // The vote over both phases decides whether there is an answer; a budget cut is still reported.
                vote.Winner is null ? SearchOutcome.NoAnswer : s.Outcome == SearchOutcome.NoAnswer ? SearchOutcome.Completed : s.Outcome);
        }
        return new AllocationResult(results, usage);
    }

    // The marginal-gain pilot: two samples per problem (each problem's share of what is left, at most two samples'
    // worth), then, when the pilots' share of the total pays for it, the rest of the pilot for the problems whose two
    // agree, so a unanimous pilot has PilotSamples votes behind it before it stops. Split pairs need no confirming:
    // the greedy phase gives them more anyway.
    private async Task<Usage> PilotInTwoStagesAsync(IReadOnlyList<Problem> problems, SearchContext template, long totalTokens,
        ProblemState[] states, bool scored, CancellationToken cancellationToken)
    {
        var usage = Usage.Zero;
        int maxNew = template.Sampling!.MaxNewTokens;
        for (int i = 0; i < problems.Count; i++)
        {
            long fair = (totalTokens - usage.GeneratedTokens) / (problems.Count - i);
            var budget = new Budget(2, Math.Max(1, Math.Min(2L * maxNew, fair)));
            var pilot = await MoreSamples(scored, 2).SolveAsync(problems[i], WithBudget(template, budget, 2L * i), cancellationToken).ConfigureAwait(false);
            usage += pilot.Usage;
            states[i] = new ProblemState(pilot);
        }
        int rest = PilotSamples - 2;
        var agreeing = Enumerable.Range(0, problems.Count).Where(i => states[i].AllAgree).ToList();
        long perSample = Math.Max(1, usage.GeneratedTokens / Math.Max(1, states.Sum(s => s.Candidates.Count)));
        if (rest <= 0 || agreeing.Count == 0 || usage.GeneratedTokens + (long)rest * perSample * agreeing.Count > (long)(totalTokens * MaxPilotFraction))
            return usage;
        foreach (int i in agreeing)
        {
            long unspent = totalTokens - usage.GeneratedTokens;
            if (unspent <= 0) break;
            var context = WithBudget(template, new Budget(rest, Math.Min((long)rest * maxNew, unspent)), 2L * i);
            if (context.Sampling.Seed is { } seed) context = context with { Sampling = context.Sampling with { Seed = Seeds.Derive(seed, 1) } };
            var more = await MoreSamples(scored, rest).SolveAsync(problems[i], context, cancellationToken).ConfigureAwait(false);
            usage += more.Usage;
            states[i].Add(more, followUp: null);
        }
        return usage;
    }

    // Greedy by expected gain per token: each round gives the best problem the batch its gain was computed for.
    private async Task<Usage> SpendByGainAsync(IReadOnlyList<Problem> problems, SearchContext template, long totalTokens, Usage usage,
        ProblemState[] states, bool scored, CancellationToken cancellationToken)
    {
        var gains = new (double PerSample, int Samples)[problems.Count];
        var open = new bool[problems.Count];
        for (int i = 0; i < problems.Count; i++)
        {
            open[i] = !states[i].Unanimous && !Settled(states[i]);
            if (open[i]) gains[i] = Gain(states[i], i);
        }
        while (true)
        {
            long unspent = totalTokens - usage.GeneratedTokens;
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int i = 0; i < problems.Count; i++)
            {
                if (!open[i] || states[i].TokensPerSample > unspent) continue;
                double value = gains[i].PerSample / states[i].TokensPerSample;
                if (value > bestValue) { bestValue = value; best = i; }
            }
            if (best < 0) break;
            var state = states[best];
            int samples = (int)Math.Clamp(Math.Min(gains[best].Samples, unspent / state.TokensPerSample), 1, int.MaxValue);
            var budget = new Budget(samples, Math.Min((long)samples * template.Sampling!.MaxNewTokens, unspent));
            var strategy = MoreSamples(scored, samples);
            var context = WithBudget(template, budget, 2L * best + 1);
            if (context.Sampling.Seed is { } seed) context = context with { Sampling = context.Sampling with { Seed = Seeds.Derive(seed, state.Batches) } };
            var more = await strategy.SolveAsync(problems[best], context, cancellationToken).ConfigureAwait(false);
            usage += more.Usage;
            state.Add(more, strategy.Name);
            state.Allotted += more.Usage.GeneratedTokens;
            state.Batches++;
            if (more.Usage.GeneratedTokens == 0 || more.Candidates.Count == 0 || Settled(state)) open[best] = false; // nothing more to get here
            else gains[best] = Gain(state, best);
        }
        return usage;
    }

    // A vote whose leader is ahead of every other answer by more than the gain model's lookahead cannot change in any
    // batch the model prices, so its estimated gain is only Monte Carlo noise: buying on it would pour the leftover
    // budget into an already decided problem (the cheapest one wins the noise). It is closed instead.
    private bool Settled(ProblemState state)
    {
        var counts = MajorityVote.Select(state.Candidates.Select(c => c.Answer)).Tallies.Select(t => t.Count).OrderDescending().ToArray();
        int margin = counts.Length == 0 ? 0 : counts[0] - (counts.Length > 1 ? counts[1] : 0);
        return margin > GainModel.Lookahead;
    }

    private (double PerSample, int Samples) Gain(ProblemState state, int problem)
    {
        var vote = MajorityVote.Select(state.Candidates.Select(c => c.Answer));
        var counts = vote.Tallies.Select(t => t.Count).ToArray();
        // A seed fixed by the problem and its sample count keeps the allocation reproducible run to run.
        return GainModel.BestGain(counts, vote.Abstentions, (int)(Seeds.Derive(problem, state.Candidates.Count) & int.MaxValue));
    }

    private static ISearchStrategy MoreSamples(bool scored, int n) => scored ? new WeightedBestOfN(n) : new SelfConsistency(n);

    // One problem's candidates and spending so far.
    private sealed class ProblemState(SearchResult pilot)
    {
        public List<Candidate> Candidates { get; } = [.. pilot.Candidates];
        public Usage Usage { get; private set; } = pilot.Usage;
        public SearchOutcome Outcome { get; private set; } = pilot.Outcome;
        public string? FollowUp { get; private set; }
        public long Allotted { get; set; }
        public long Batches { get; set; }

        // Every sample so far gave the same answer.
        public bool AllAgree => Candidates.Count >= 2 && Candidates[0].Answer is { } first && Candidates.All(c => c.Answer == first);

        // A full pilot whose samples all agree: more votes would not change it.
        public bool Unanimous { get; private set; }

        public long TokensPerSample => Math.Max(1, (Usage.GeneratedTokens + Candidates.Count - 1) / Math.Max(1, Candidates.Count));

        public void PilotDone(int pilotSamples) => Unanimous = Candidates.Count >= pilotSamples && AllAgree;

        public void Add(SearchResult more, string? followUp)
        {
            Candidates.AddRange(more.Candidates);
            Usage += more.Usage;
            Outcome = more.Outcome;
            if (followUp is not null) FollowUp = followUp;
        }
    }

    // The pilot's success proxy: agreement with its majority, averaged with the mean score when scored. A sample the
    // pilot's token cap cut off before its answer says nothing about the problem and is left out.
    private static double SuccessProxy(IReadOnlyList<Candidate> all, bool scored)
    {
        var pilot = all.Where(c => !(c.Answer is null && c.FinishReason == FinishReason.Length)).ToList();
        if (pilot.Count == 0) return 0;
        double agreement = PilotRun.FromAnswers(pilot.Select(c => c.Answer)).SuccessRate;
        if (!scored || pilot.Any(c => c.Score is null)) return agreement;
        double meanScore = pilot.Average(c => Math.Clamp(c.Score!.Value, 0, 1));
        return (agreement + meanScore) / 2;
    }

    private static SearchContext WithBudget(SearchContext template, Budget budget, long stream) => template with
    {
        Budget = budget,
        Sampling = template.Sampling with { Seed = template.Sampling.Seed is { } s ? Seeds.Derive(s, stream) : null },
    };
}
