using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>Mechanics of DeepConf, QAlign and MCTS on the fake model: confidence, early stopping, acceptance, UCT.</summary>
public class ScienceStrategyTests
{
    private static readonly Problem[] Problems = Enumerable.Range(1, 12).Select(i => FakeArithmetic.Make(100 + i, steps: 5)).ToArray();

    private static async Task<int> CorrectCount(ISearchStrategy strategy, ISampler sampler, IVerifier? verifier, Budget budget)
    {
        int correct = 0;
        foreach (var p in Problems)
        {
            var r = await strategy.SolveAsync(p, Contexts.For(sampler, verifier, budget, seed: 7));
            if (r.Answer == p.ReferenceAnswer) correct++;
        }
        return correct;
    }

    [Fact]
    public void Group_confidence_is_the_geometric_mean_probability_of_the_window()
    {
        float[] lp = [.. Enumerable.Repeat(-0.1f, 10), .. Enumerable.Repeat(-3f, 4), .. Enumerable.Repeat(-0.1f, 10)];
        Assert.Equal(Math.Exp(-3), TraceConfidence.LowestGroup(lp, 4), 5);
        Assert.Equal(Math.Exp(-(3.0 * 4 + 0.1 * 4) / 8), TraceConfidence.LowestGroup(lp, 8), 5);
        Assert.Equal(Math.Exp(-0.1), TraceConfidence.Of(lp, 4, ConfidenceMeasure.Tail), 5);
        Assert.Equal(Math.Exp(-(0.1 * 20 + 12) / 24), TraceConfidence.Of(lp, 4, ConfidenceMeasure.Average), 5);
        // A trace shorter than the window is one group; no log-probabilities means confidence 1.
        Assert.Equal(Math.Exp(-0.1), TraceConfidence.LowestGroup(lp[..3], 16), 5);
        Assert.Equal(1.0, TraceConfidence.Of(null, 4, ConfidenceMeasure.LowestGroup));
        Assert.Equal(2.5, TraceConfidence.Percentile([1, 2, 3, 4], 50), 10);
        Assert.Equal(1.0, TraceConfidence.Percentile([4, 1, 3, 2], 0), 10);
    }

    [Fact]
    public async Task Deepconf_offline_votes_only_over_the_most_confident_traces()
    {
        var sampler = new ConfidentSampler(new ScriptedSampler(0.3));
        var result = await new DeepConf(16, keepPercent: 25, window: 4).SolveAsync(Problems[0], Contexts.For(sampler, budget: Budget.Samples(16)));
        Assert.Equal(16, result.Candidates.Count);
        Assert.NotNull(result.Chosen);
        // The 4 kept traces are the most confident; an error-free trace outranks every trace with a wrong step.
        Assert.False(ConfidentSampler.HasWrongLine(result.Chosen!.Text));
        var vote = result.Trace.Events.Single(e => e.Kind == "vote");
        Assert.Contains("over 4 of 16", vote.Message);
    }

    [Fact]
    public async Task Deepconf_offline_is_at_least_as_accurate_as_majority_when_confidence_is_informative()
    {
        var sampler = new ConfidentSampler(new ScriptedSampler(0.35));
        int deepconf = await CorrectCount(new DeepConf(8, keepPercent: 25, window: 4), sampler, null, Budget.Samples(8));
        int majority = await CorrectCount(new SelfConsistency(8), sampler, null, Budget.Samples(8));
        Assert.True(deepconf >= majority, $"deepconf {deepconf} < majority {majority}");
        Assert.True(deepconf > majority || deepconf == Problems.Length, $"deepconf {deepconf}, majority {majority}: confidence filtering gained nothing");
    }

    [Fact]
    public async Task Deepconf_online_stops_exactly_the_low_confidence_traces_and_saves_tokens()
    {
        // η = 10 (DeepConf-low): the threshold sits near the most confident warm-up trace.
        var sampler = new CountingSampler(new ConfidentSampler(new ScriptedSampler(0.15)));
        var result = await new DeepConf(16, DeepConfMode.Online, keepPercent: 10, window: 4, warmup: 4)
            .SolveAsync(Problems[1], Contexts.For(sampler, budget: Budget.Samples(16)));
        Assert.Equal(16, result.Candidates.Count);
        var online = result.Candidates.Skip(4).ToList();
        var stopped = online.Where(c => c.FinishReason == FinishReason.Abandoned).ToList();
        Assert.NotEmpty(stopped);
        // A trace is stopped at the step that made it unsure, so it never reaches an answer; error-free traces run on.
        Assert.All(stopped, c => Assert.True(ConfidentSampler.IsWrongLine(c.Text.TrimEnd('\n').Split('\n')[^1])));
        Assert.All(stopped, c => Assert.Null(c.Answer));
        Assert.All(online.Where(c => !ConfidentSampler.HasWrongLine(c.Text)), c => Assert.NotEqual(FinishReason.Abandoned, c.FinishReason));
        Assert.Equal(Problems[1].ReferenceAnswer, result.Answer);

        var full = new CountingSampler(new ConfidentSampler(new ScriptedSampler(0.15)));
        await new DeepConf(16, window: 4).SolveAsync(Problems[1], Contexts.For(full, budget: Budget.Samples(16)));
        Assert.True(sampler.GeneratedTokens < full.GeneratedTokens, $"online {sampler.GeneratedTokens} >= offline {full.GeneratedTokens}");
        var stop = result.Trace.Events.Single(e => e.Kind == "stop");
        Assert.Equal(stopped.Count, stop.Values!["stopped"]);
        Assert.True(stop.Values["tokensSavedEstimate"] > 0);
    }

    [Fact]
    public async Task Deepconf_online_without_logprobs_is_plain_majority_and_stops_nothing()
    {
        var result = await new DeepConf(8, DeepConfMode.Online, warmup: 2).SolveAsync(Problems[2], Contexts.For(new NoLogprobs(new ScriptedSampler(0.3))));
        Assert.DoesNotContain(result.Candidates, c => c.FinishReason == FinishReason.Abandoned);
        var majority = MajorityVote.Select(result.Candidates.Select(c => c.Answer));
        Assert.Equal(majority.Winner, result.Answer);
    }

    private sealed class NoLogprobs(ISampler inner) : ISampler
    {
        public SamplerCapabilities Capabilities => inner.Capabilities;
        public int CountTokens(string text) => inner.CountTokens(text);
        public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
        {
            var r = await inner.SampleAsync(request, cancellationToken);
            return r with { Completions = r.Completions.Select(c => c with { Logprobs = null }).ToList() };
        }
    }

    [Theory]
    [InlineData(0.5, 0.5, 3, 3, 0.1, 1.0)]
    [InlineData(0.9, 0.1, 3, 3, 0.1, 3.3546262790251185e-4)] // exp(-8)
    [InlineData(0.5, 0.5, 4, 2, 0.1, 1.0)]
    [InlineData(0.5, 0.5, 2, 4, 0.1, 0.5)]
    [InlineData(0.6, 0.5, 2, 4, 1.0, 0.45241870901797976)] // exp(-0.1) / 2
    public void Qalign_acceptance_is_the_metropolis_hastings_ratio(double r, double rNew, int s, int sNew, double beta, double expected) =>
        Assert.Equal(expected, QAlign.AcceptanceProbability(r, rNew, s, sNew, beta), 9);

    [Fact]
    public void Qalign_steps_keep_their_delimiters()
    {
        Assert.Equal(["1 + 2 = 3\n", "3 * 2 = 6\n", "A: 6"], QAlign.Steps("1 + 2 = 3\n3 * 2 = 6\nA: 6", "\n"));
        Assert.Empty(QAlign.Steps("", "\n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QAlign(iterations: 4, burnIn: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QAlign(beta: 0));
    }

    [Fact]
    public async Task Qalign_proposals_keep_a_prefix_of_the_current_state()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.4));
        var result = await new QAlign(iterations: 8).SolveAsync(Problems[3], Contexts.For(sampler, new FakePrm(), Budget.Samples(9)));
        Assert.Equal(9, sampler.Rows);
        Assert.Equal(9, result.Candidates.Count);
        // Every proposal's prefix is a whole-step prefix of some earlier candidate (the chain state it moved from).
        foreach (var request in sampler.Requests.Skip(1))
        {
            string prefix = request.Prefixes[0];
            Assert.True(prefix.Length == 0 || prefix.EndsWith('\n'));
            Assert.Contains(result.Candidates, c => c.Text.StartsWith(prefix, StringComparison.Ordinal));
        }
        Assert.Contains(result.Trace.Events, e => e.Kind == "iteration" && e.Values!.ContainsKey("acceptanceRate"));
    }

    [Fact]
    public async Task Qalign_with_a_sharp_reward_beats_majority_at_equal_samples()
    {
        // Steps fail often enough that most full samples are wrong: keeping a right prefix is what pays.
        var sampler = new ScriptedSampler(0.45);
        int qalign = await CorrectCount(new QAlign(iterations: 11, beta: 0.05, burnIn: 3), sampler, new FakePrm(), Budget.Samples(12));
        int majority = await CorrectCount(new SelfConsistency(12), sampler, null, Budget.Samples(12));
        Assert.True(qalign > majority, $"qalign {qalign} <= majority {majority}");
    }

    [Fact]
    public void Uct_adds_the_exploration_bonus()
    {
        Assert.Equal(0.5, MonteCarloTreeSearch.Uct(1.0, 2, 10, 0), 12);
        Assert.Equal(0.5 + Math.Sqrt(Math.Log(11) / 2), MonteCarloTreeSearch.Uct(1.0, 2, 10, 1), 12);
    }

    [Fact]
    public async Task Mcts_without_exploration_expands_the_best_scored_child_next()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.5));
        var prm = new FakePrm();
        await new MonteCarloTreeSearch(simulations: 2, expansions: 4, exploration: 0).SolveAsync(Problems[4], Contexts.For(sampler, prm, Budget.Samples(16)));
        Assert.Equal(2, sampler.Calls);
        Assert.Equal([""], sampler.Requests[0].Prefixes);
        // The second call continues the first call's child with the highest PRM value.
        string next = sampler.Requests[1].Prefixes[0];
        var scored = await prm.ScoreAsync(Problems[4], [next]);
        Assert.Equal(FakePrm.Good, scored[0].Value);
    }

    [Fact]
    public async Task Mcts_stops_when_every_path_has_ended()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0));
        var result = await new MonteCarloTreeSearch(simulations: 100).SolveAsync(Problems[5], Contexts.For(sampler, new FakePrm(), Budget.Samples(16)));
        // A deterministic model has one path: five steps and the answer line, expanded once each.
        Assert.Equal(6, sampler.Calls);
        Assert.Contains(result.Trace.Events, e => e.Kind == "exhausted");
        Assert.Equal(Problems[5].ReferenceAnswer, result.Answer);
        Assert.Single(result.Candidates);
    }

    [Fact]
    public async Task Mcts_with_rollouts_completes_a_solution_per_simulation()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.3));
        var result = await new MonteCarloTreeSearch(simulations: 3, expansions: 2, rollout: true).SolveAsync(Problems[6], Contexts.For(sampler, new FakePrm(), Budget.Samples(16)));
        Assert.Equal(6, sampler.Calls);
        Assert.True(sampler.Requests.Where((_, i) => i % 2 == 1).All(r => r.Options.StepDelimiter is null));
        Assert.True(result.Candidates.Count >= 3);
    }

    [Fact]
    public async Task Mcts_beats_majority_under_a_good_process_verifier()
    {
        var sampler = new ScriptedSampler(0.35);
        int mcts = await CorrectCount(new MonteCarloTreeSearch(simulations: 16, expansions: 3), sampler, new FakePrm(), new Budget(16, 20_000));
        int majority = await CorrectCount(new SelfConsistency(16), sampler, null, Budget.Samples(16));
        Assert.True(mcts > majority, $"mcts {mcts} <= majority {majority}");
    }
}
