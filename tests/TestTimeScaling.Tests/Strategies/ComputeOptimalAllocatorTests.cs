using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>The allocator keeps the total budget, gives easy problems less than hard ones, and is reproducible.</summary>
public class ComputeOptimalAllocatorTests
{
    // Half the problems come from an error-free model (unanimous pilots), half from a noisy one.
    private static readonly Problem[] Problems = Enumerable.Range(1, 8).Select(i => FakeArithmetic.Make(200 + i, steps: 5)).ToArray();
    private static readonly HashSet<string> Easy = Problems.Where((_, i) => i % 2 == 0).Select(p => p.Prompt).ToHashSet();

    private static SearchContext Template(ISampler sampler, IVerifier? verifier = null, long seed = 3) =>
        Contexts.For(sampler, verifier, Budget.Samples(1), seed: seed, maxNewTokens: 160);

    private static ISampler Mixed(double hardErrorRate = 0.3) => new SplitSampler(new ScriptedSampler(0), new ScriptedSampler(hardErrorRate), Easy);

    [Theory]
    [InlineData(100L, false)]
    [InlineData(700L, false)]
    [InlineData(3_000L, false)]
    [InlineData(3_000L, true)]
    [InlineData(20_000L, true)]
    public async Task Total_budget_is_never_exceeded(long total, bool verifier)
    {
        var sampler = new CountingSampler(Mixed());
        var result = await new ComputeOptimalAllocator().SolveAllAsync(Problems, Template(sampler, verifier ? new FakePrm() : null), total);
        Assert.True(sampler.GeneratedTokens <= total, $"{sampler.GeneratedTokens} > {total}");
        Assert.Equal(sampler.GeneratedTokens, result.TotalTokens);
        Assert.Equal(result.TotalTokens, result.Problems.Sum(p => p.Usage.GeneratedTokens));
        Assert.Equal(Problems.Length, result.Problems.Count);
    }

    [Theory]
    [InlineData(AllocationPolicy.MarginalGain)]
    [InlineData(AllocationPolicy.LevelWeights)]
    public async Task Easy_problems_stop_after_the_pilot_and_hard_ones_get_the_rest(AllocationPolicy policy)
    {
        var result = await new ComputeOptimalAllocator(policy: policy).SolveAllAsync(Problems, Template(Mixed()), 6_000);
        foreach (var p in result.Problems.Where(p => Easy.Contains(p.Problem.Prompt)))
        {
            Assert.Equal(1, p.Level);
            Assert.Equal(0, p.TokensAllotted);
            Assert.Null(p.FollowUp);
            Assert.Equal(p.Problem.ReferenceAnswer, p.Answer);
        }
        var hard = result.Problems.Where(p => !Easy.Contains(p.Problem.Prompt)).ToList();
        var easy = result.Problems.Where(p => Easy.Contains(p.Problem.Prompt)).ToList();
        Assert.True(hard.Average(p => p.Usage.GeneratedTokens) > 2 * easy.Average(p => p.Usage.GeneratedTokens));
        Assert.Contains(hard, p => p.TokensAllotted > 0 && p.FollowUp == "self-consistency");
        // Most of the budget is used: what the easy problems did not need went to the hard ones.
        Assert.True(result.TotalTokens > 6_000 * 0.8, $"only {result.TotalTokens} of 6000 tokens used");
    }

    [Fact]
    public async Task Marginal_gain_spends_on_split_votes_and_every_sample_votes()
    {
        var sampler = new CountingSampler(Mixed(hardErrorRate: 0.4));
        var result = await new ComputeOptimalAllocator().SolveAllAsync(Problems, Template(sampler), 5_000);
        Assert.Equal(sampler.GeneratedTokens, result.TotalTokens);
        foreach (var p in result.Problems)
        {
            // The answer is the vote over pilot and follow-up samples together.
            Assert.Equal(MajorityVote.Select(p.Candidates.Select(c => c.Answer)).Winner, p.Answer);
            Assert.InRange(p.TokensAllotted, 0, p.Usage.GeneratedTokens);
        }
        // Pilots of two that were split got more samples; pairs that agreed were confirmed with two more, and stopped
        // there when all four agreed.
        Assert.All(result.Problems.Where(p => p.Candidates.Take(2).Select(c => c.Answer).Distinct().Count() > 1),
            p => Assert.True(p.Candidates.Count > 2 && p.TokensAllotted > 0, $"{p.Problem.Prompt}: {p.Candidates.Count} samples"));
        var unanimous = result.Problems.Where(p => p.Candidates.Take(4).Select(c => c.Answer).Distinct().Count() == 1 && p.Candidates[0].Answer is not null).ToList();
        Assert.NotEmpty(unanimous);
        Assert.All(unanimous, p => { Assert.Equal(4, p.Candidates.Count); Assert.Equal(0, p.TokensAllotted); Assert.Null(p.FollowUp); });
    }

    [Fact]
    public async Task A_decided_vote_buys_no_more_samples_and_the_rest_of_a_large_budget_is_left()
    {
        var sampler = new CountingSampler(Mixed());
        var allocator = new ComputeOptimalAllocator();
        var result = await allocator.SolveAllAsync(Problems, Template(sampler), 200_000);
        Assert.True(result.TotalTokens < 200_000 / 2, $"{result.TotalTokens} tokens spent on eight problems");
        foreach (var p in result.Problems)
        {
            var counts = MajorityVote.Select(p.Candidates.Select(c => c.Answer)).Tallies.Select(t => t.Count).OrderDescending().ToList();
            int margin = counts[0] - (counts.Count > 1 ? counts[1] : 0);
            // Closed once the leader is ahead by more than the lookahead, so the last batch (at most the lookahead)
            // started from a margin no larger than it.
            Assert.True(margin <= 2 * allocator.GainModel.Lookahead, $"{p.Problem.Prompt}: margin {margin} after {p.Candidates.Count} samples");
        }
    }

    [Fact]
    public async Task Same_seed_same_allocation()
    {
        async Task<AllocationResult> Run() => await new ComputeOptimalAllocator().SolveAllAsync(Problems, Template(Mixed(), new FakePrm(0.05), seed: 9), 5_000);
        var a = await Run();
        var b = await Run();
        Assert.Equal(a.Problems.Select(p => (p.Answer, p.Level, p.TokensAllotted)), b.Problems.Select(p => (p.Answer, p.Level, p.TokensAllotted)));
        Assert.Equal(a.Usage, b.Usage);
    }

    [Fact]
    public async Task Bad_arguments_are_rejected_before_any_sampling()
    {
        var sampler = new CountingSampler(Mixed());
        var allocator = new ComputeOptimalAllocator();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => allocator.SolveAllAsync(Problems, Template(sampler), 7));
        await Assert.ThrowsAsync<ArgumentException>(() => allocator.SolveAllAsync([], Template(sampler), 1000));
        Assert.Equal(0, sampler.Calls);
        Assert.Throws<ArgumentException>(() => new ComputeOptimalAllocator(levelWeights: [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptimalAllocator(pilotSamples: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptimalAllocator(levelWeights: [0, 1, -1, 2, 0]));
    }

    [Fact]
    public async Task Cancellation_surfaces_as_search_canceled()
    {
        using var cts = new CancellationTokenSource();
        var sampler = new CountingSampler(Mixed()) { AfterCall = i => { if (i == 2) cts.Cancel(); } };
        await Assert.ThrowsAsync<SearchCanceledException>(() => new ComputeOptimalAllocator().SolveAllAsync(Problems, Template(sampler), 5_000, cts.Token));
        Assert.Equal(3, sampler.Calls);
    }
}
