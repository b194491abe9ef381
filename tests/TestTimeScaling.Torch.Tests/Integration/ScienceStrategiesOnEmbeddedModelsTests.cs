using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// DeepConf, QAlign, MCTS and the compute-optimal allocator on the embedded policy, under the learned PRM and the
/// task's perfect step verifier: small budgets, two held-out problems, the properties a user relies on.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class ScienceStrategiesOnEmbeddedModelsTests(EmbeddedModelsFixture models)
{
    private const int MaxNewTokens = 100;
    private const long TokenBudget = 1_500;

    private static readonly ArithmeticProblem[] Problems =
        [EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 1)[1], EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 3)[1]];

    private static readonly Dictionary<string, Func<ISearchStrategy>> Strategies = new()
    {
        ["deepconf"] = () => new DeepConf(6, keepPercent: 50),
        ["deepconf-online"] = () => new DeepConf(6, DeepConfMode.Online, keepPercent: 50, warmup: 3),
        ["qalign"] = () => new QAlign(iterations: 5),
        ["mcts"] = () => new MonteCarloTreeSearch(simulations: 6, expansions: 2),
    };

    public static TheoryData<string, bool> Cases()
    {
        var d = new TheoryData<string, bool>();
        foreach (var name in Strategies.Keys)
        {
            d.Add(name, false);
            if (name is "qalign" or "mcts") d.Add(name, true);
        }
        return d;
    }

    private SearchContext Context(bool perfectVerifier, long seed) => new()
    {
        Sampler = models.Sampler,
        Verifier = perfectVerifier ? ArithmeticStepVerifier.Instance : models.Verifier,
        AnswerExtractor = ArithmeticAnswerExtractor.Instance,
        Budget = new Budget(MaxSamples: 6, MaxGeneratedTokens: TokenBudget),
        Sampling = new SamplingOptions { Temperature = 0.8, MaxNewTokens = MaxNewTokens, Seed = seed },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Solves_held_out_problems_within_budget_and_reproducibly(string name, bool perfectVerifier)
    {
        foreach (var problem in Problems)
        {
            var result = await Strategies[name]().SolveAsync(problem.ToProblem(), Context(perfectVerifier, seed: 5));
            Assert.NotEmpty(result.Candidates);
            Assert.InRange(result.Usage.GeneratedTokens, 1, TokenBudget);
            if (result.Answer is not null) Assert.Contains(result.Candidates, c => c.Answer == result.Answer);
            Assert.NotEqual(SearchOutcome.Cancelled, result.Outcome);
        }
        var a = await Strategies[name]().SolveAsync(Problems[0].ToProblem(), Context(perfectVerifier, seed: 9));
        var b = await Strategies[name]().SolveAsync(Problems[0].ToProblem(), Context(perfectVerifier, seed: 9));
        Assert.Equal(a.Answer, b.Answer);
        Assert.Equal(a.Candidates.Select(c => c.Text), b.Candidates.Select(c => c.Text));
        Assert.Equal(a.Usage.GeneratedTokens, b.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Deepconf_reads_real_logprobs_from_the_engine()
    {
        var result = await new DeepConf(4, DeepConfMode.Online, warmup: 2).SolveAsync(Problems[1].ToProblem(), Context(false, seed: 3));
        var calibrate = result.Trace.Events.Single(e => e.Kind == "calibrate");
        // Real token probabilities are below 1, so the threshold is too (it would be exactly 1 without log-probabilities).
        Assert.InRange(calibrate.Values!["threshold"], 1e-6, 0.999999);
    }

    [Fact]
    public async Task Allocator_keeps_the_total_budget_on_the_embedded_models()
    {
        var problems = new[] { Problems[0], Problems[1], EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 5)[1] }.Select(p => p.ToProblem()).ToList();
        const long total = 1_800;
        var result = await new ComputeOptimalAllocator(pilotSamples: 2).SolveAllAsync(problems, Context(true, seed: 1), total);
        Assert.InRange(result.TotalTokens, 1, total);
        Assert.Equal(3, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.InRange(p.Level, 1, 5));
    }
}
