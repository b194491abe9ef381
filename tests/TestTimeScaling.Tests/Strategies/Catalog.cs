using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>Every strategy, configured small, with how its sample budget is counted.</summary>
public static class Catalog
{
    public sealed record Entry(string Name, Func<ISearchStrategy> Make, bool NeedsVerifier, bool Stepwise,
        Func<CountingSampler, SearchResult, long> SamplesUsed);

    private static long Rows(CountingSampler s, SearchResult _) => s.Rows;
    private static long Finished(CountingSampler s, SearchResult _) => s.FinishedRows;
    private static long Leaves(CountingSampler _, SearchResult r) => r.Candidates.Count;

    public static readonly IReadOnlyList<Entry> All =
    [
        new("best-of-n", () => new BestOfN(8), true, false, Rows),
        new("weighted-best-of-n", () => new WeightedBestOfN(8), true, false, Rows),
        new("self-consistency", () => new SelfConsistency(8), false, false, Rows),
        new("first-finish", () => new FirstFinishSearch(8), false, false, Rows),
        new("adaptive-self-consistency", () => new AdaptiveSelfConsistency(16, 4), false, false, Rows),
        new("budget-forcing", () => new BudgetForcing(60, 150), false, false, (_, _) => 1),
        new("iterative-refinement", () => new IterativeRefinement(3, 0.9), true, false, Rows),
        new("beam-search", () => new StepBeamSearch(2, 2, 12), true, true, Finished),
        new("dvts", () => new DiverseVerifierTreeSearch(2, null, 12), true, true, Leaves),
        new("particle-filtering", () => new ParticleFiltering(4, 12), true, true, Finished),
        new("deepconf", () => new DeepConf(8), false, false, Leaves),
        new("deepconf-online", () => new DeepConf(8, DeepConfMode.Online, warmup: 3, maxSteps: 12), false, true, Leaves),
        new("qalign", () => new QAlign(6), true, false, Rows),
        new("mcts", () => new MonteCarloTreeSearch(12, 2, maxDepth: 12), true, true, Leaves),
        new("vote-over-refinement", () => new VoteOver(new IterativeRefinement(1, 0.9), 3), true, false, Rows),
    ];

    public static Entry Get(string name) => All.Single(e => e.Name == name);

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var e in All) d.Add(e.Name);
        return d;
    }

    public static TheoryData<string> VerifierNames()
    {
        var d = new TheoryData<string>();
        foreach (var e in All.Where(e => e.NeedsVerifier)) d.Add(e.Name);
        return d;
    }

    public static TheoryData<string> StepwiseNames()
    {
        var d = new TheoryData<string>();
        foreach (var e in All.Where(e => e.Stepwise)) d.Add(e.Name);
        return d;
    }
}
