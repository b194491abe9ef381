
namespace TestTimeScaling;

/// <summary>How particle weights are computed from verifier scores.</summary>
public enum ParticleWeighting
{
    /// <summary>Softmax of the scores' logits divided by the temperature (scores are read as probabilities in (0, 1)).</summary>
    SoftmaxOfLogits,
    /// <summary>Weights proportional to the scores (negative scores count as zero).</summary>
    Proportional,
}

/// <summary>How particles are redrawn by weight.</summary>
public enum ResamplingScheme
{
    /// <summary>One uniform draw, evenly spaced pointers: lower variance than multinomial.</summary>
    Systematic,
    /// <summary>Independent draws with replacement.</summary>
    Multinomial,
}

/// <summary>How the final answer is chosen from the particles.</summary>
public enum ParticleSelection
{
    /// <summary>The highest-scored particle with an answer.</summary>
    HighestScore,
    /// <summary>The answer whose particles' final weights sum highest.</summary>
    WeightedVote,
}

/// <summary>
/// Particle filtering (sequential Monte Carlo) over partial solutions, weighted by a process reward model.
/// </summary>
/// <remarks>
/// <para>Puri et al., "A Probabilistic Inference Approach to Inference-Time Scaling of LLMs using Particle-Based
/// Monte Carlo Methods" (2025). Unlike beam search's hard top-k, resampling in proportion to reward keeps some
/// lower-scored paths alive, which makes the search robust to an imperfect reward model.</para>
/// <para>Each round extends every unfinished particle by one step (one batched call), scores all particles with the
/// verifier (step scores aggregated by <see cref="Aggregation"/>), turns scores into weights
/// (<see cref="Weighting"/>, <see cref="Temperature"/>), records the effective sample size 1 / Σ w² in the trace, and
/// resamples the population (<see cref="Resampling"/>, with a generator seeded from the context's seed). Finished
/// particles keep their text and score and take part in resampling, so a good finished solution can fill the
/// population. The search ends when every particle is finished or after <see cref="MaxDepth"/> rounds; the answer
/// follows <see cref="Selection"/>. Candidates are the distinct final particles.</para>
/// <para>Budget: each particle is one rollout, so <see cref="Budget.MaxSamples"/> caps (and is charged) the particle count
/// up front. The token budget is exact: each round's rows draw on what is left of it, particles are cut where it
/// runs out (they finish where they stand), and the search then stops with <see cref="SearchOutcome.BudgetExhausted"/>.</para>
/// </remarks>
public sealed class ParticleFiltering : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="particles">Population size; positive.</param>
    /// <param name="maxDepth">Most steps; positive.</param>
    /// <param name="temperature">Softmax temperature for <see cref="ParticleWeighting.SoftmaxOfLogits"/>; positive.</param>
    /// <param name="weighting">How scores become weights.</param>
    /// <param name="resampling">How particles are redrawn.</param>
    /// <param name="selection">How the final answer is chosen.</param>
    /// <param name="aggregation">How a process verifier's step scores become a particle's score.</param>
    public ParticleFiltering(int particles = 8, int maxDepth = 40, double temperature = 1.0,
        ParticleWeighting weighting = ParticleWeighting.SoftmaxOfLogits, ResamplingScheme resampling = ResamplingScheme.Systematic,
        ParticleSelection selection = ParticleSelection.HighestScore, StepAggregation aggregation = StepAggregation.Last)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(particles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        if (double.IsNaN(temperature) || temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be positive.");
        if (!Enum.IsDefined(weighting)) throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "Unknown weighting.");
        if (!Enum.IsDefined(resampling)) throw new ArgumentOutOfRangeException(nameof(resampling), resampling, "Unknown resampling scheme.");
        if (!Enum.IsDefined(selection)) throw new ArgumentOutOfRangeException(nameof(selection), selection, "Unknown selection.");
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        Particles = particles;
        MaxDepth = maxDepth;
        Temperature = temperature;
        Weighting = weighting;
        Resampling = resampling;
        Selection = selection;
        Aggregation = aggregation;
    }

    /// <summary>Population size.</summary>
    public int Particles { get; }

    /// <summary>Most steps.</summary>
    public int MaxDepth { get; }

    /// <summary>Softmax temperature.</summary>
    public double Temperature { get; }

    /// <summary>How scores become weights.</summary>
    public ParticleWeighting Weighting { get; }

    /// <summary>How particles are redrawn.</summary>
    public ResamplingScheme Resampling { get; }

    /// <summary>How the final answer is chosen.</summary>
    public ParticleSelection Selection { get; }

    /// <summary>Step-score aggregation.</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public string Name => "particle-filtering";

    /// <summary>Normalized weights for the given scores.</summary>
    public double[] Weights(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var w = new double[scores.Count];
        if (w.Length == 0) return w;
        if (Weighting == ParticleWeighting.SoftmaxOfLogits)
        {
            for (int i = 0; i < w.Length; i++)
            {
                double p = Math.Clamp(double.IsFinite(scores[i]) ? scores[i] : 0, 1e-6, 1 - 1e-6);
                w[i] = Math.Log(p / (1 - p)) / Temperature;
            }
            double max = w.Max();
            for (int i = 0; i < w.Length; i++) w[i] = Math.Exp(w[i] - max);
        }
        else
        {
            for (int i = 0; i < w.Length; i++) w[i] = double.IsFinite(scores[i]) ? Math.Max(0, scores[i]) : 0;
        }
        double sum = w.Sum();
        for (int i = 0; i < w.Length; i++) w[i] = sum > 0 ? w[i] / sum : 1.0 / w.Length;
        return w;
    }

    /// <summary>Draws <paramref name="count"/> indices in proportion to <paramref name="weights"/> (which sum to 1).</summary>
    public static int[] Resample(IReadOnlyList<double> weights, int count, ResamplingScheme scheme, Random random)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(random);
        var picks = new int[count];
        if (weights.Count == 0) return [];
        var cumulative = new double[weights.Count];
        double running = 0;
        for (int i = 0; i < weights.Count; i++) cumulative[i] = running += weights[i];
        double u0 = random.NextDouble() / count;
        for (int k = 0; k < count; k++)
        {
            double u = scheme == ResamplingScheme.Systematic ? (u0 + (double)k / count) * running : random.NextDouble() * running;
            int j = Array.BinarySearch(cumulative, u);
            j = j < 0 ? ~j : j;
            picks[k] = Math.Min(j, weights.Count - 1);
        }
        return picks;
    }

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("a process reward model to weight particles"), Aggregation);
            run.RequireStepDelimiter();
            int maxNew = run.Sampling.MaxNewTokens;
            int count = Math.Min(Particles, run.SamplesLeft);
            bool cut = count < Particles;
            run.ChargeSamples(count);
            var random = run.CreateRandom();
            var particles = Enumerable.Repeat(PartialSolution.Root, count).ToList();
            double[] weights = Enumerable.Repeat(1.0 / Math.Max(1, count), count).ToArray();
            for (int depth = 0; depth < MaxDepth; depth++)
            {
                var live = Enumerable.Range(0, particles.Count).Where(i => !particles[i].Finished).ToList();
                if (live.Count == 0) break;
                if (run.TokensLeft == 0) { cut = true; break; }
                var children = await StepExpansion.ExpandAsync(run, verifier, live.Select(i => particles[i]).ToList(), 1, maxNew).ConfigureAwait(false);
                if (children.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
                foreach (var (parent, child) in children) particles[live[parent]] = child;
                // A particle the sampler dropped cannot advance: freeze it so the loop always progresses.
                var advanced = children.Select(c => live[c.Parent]).ToHashSet();
                foreach (var i in live.Where(i => !advanced.Contains(i))) particles[i] = particles[i] with { Finished = true };

                weights = Weights(particles.Select(p => p.Value).ToList());
                double ess = 1.0 / weights.Sum(w => w * w);
                run.Trace.Add("weigh", $"Depth {depth + 1}: effective sample size {ess:F2} of {particles.Count}.",
                    StepExpansion.RoundFigures(depth + 1, children.Count, particles).Append(new("ess", ess)).ToDictionary());
                if (particles.All(p => p.Finished)) break;
                var picks = Resample(weights, particles.Count, Resampling, random);
                var survivors = picks.Select(j => particles[j].Text).ToHashSet(StringComparer.Ordinal);
                foreach (var i in Enumerable.Range(0, particles.Count).Where(i => !survivors.Contains(particles[i].Text)).DistinctBy(i => particles[i].Text, StringComparer.Ordinal))
                    StepExpansion.TracePruned(run, particles[i], FormattableString.Invariant(
                        $"Depth {depth + 1}: resampled away (weight {weights[i]:0.000}, score {particles[i].Value:0.000})."));
                particles = picks.Select(j => particles[j]).ToList();
                weights = Weights(particles.Select(p => p.Value).ToList());
                run.Trace.Add("resample", $"Kept {picks.Distinct().Count()} distinct particle(s).", new Dictionary<string, double> { ["distinct"] = picks.Distinct().Count() });
            }

            var distinct = particles.Select((p, i) => (p, w: weights[i])).Where(x => x.p.Depth > 0)
                .GroupBy(x => x.p.Text, StringComparer.Ordinal)
                .Select(g => (Particle: g.First().p, Weight: g.Sum(x => x.w)))
                .ToList();
            var candidates = distinct.Select(d => StepExpansion.AddCandidate(run, d.Particle)).ToList();
            Candidate? chosen;
            if (Selection == ParticleSelection.WeightedVote)
            {
                var vote = WeightedVote.Select(candidates.Select((c, i) => (c.Answer, distinct[i].Weight)));
                chosen = global::TestTimeScaling.Selection.Best(candidates.Where(c => c.Answer == vote.Winner), global::TestTimeScaling.Selection.ScoreOf);
            }
            else chosen = global::TestTimeScaling.Selection.Best(candidates, global::TestTimeScaling.Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });
}
