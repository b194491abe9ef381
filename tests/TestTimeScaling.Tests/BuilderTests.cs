using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests;

/// <summary>The README's examples, run against the fakes.</summary>
public class BuilderTests
{
    private static readonly Problem P = FakeArithmetic.Make(61);
    private readonly ISampler sampler = new ScriptedSampler(0.2);
    private readonly IVerifier prm = new FakePrm();

    [Fact]
    public async Task Best_of_n_in_one_line()
    {
        var result = await Scale.With(sampler).Verifier(prm).Seed(1).BestOfN(16).SolveAsync(P.Prompt);
        Assert.Equal(P.ReferenceAnswer, result.Answer);
        Assert.Equal(16, result.Candidates.Count);
    }

    [Fact]
    public async Task Self_consistency_over_refinement_chains()
    {
        var pipeline = Scale.With(sampler).Verifier(prm).Seed(2).IterativeRefinement(maxRevisions: 2, satisfiedScore: 0.9).VotedOver(5);
        var result = await pipeline.SolveAsync(P);
        Assert.Equal(15, pipeline.Context.Budget.MaxSamples);
        Assert.NotNull(result.Answer);
    }

    [Fact]
    public async Task Beam_search_with_a_token_budget()
    {
        var result = await Scale.With(sampler).Verifier(prm).Seed(3).MaxTokens(4_000).BeamSearch(beamWidth: 4, expansions: 4).SolveAsync(P);
        Assert.True(result.Usage.GeneratedTokens <= 4_000);
        Assert.NotNull(result.Answer);
    }

    [Fact]
    public async Task Every_builder_method_runs()
    {
        var b = Scale.With(sampler).Verifier(prm).Seed(4).Extractor(LastLineAnswerExtractor.Default).Temperature(0.8);
        ScalingPipeline[] pipelines =
        [
            b.BestOfN(4), b.WeightedBestOfN(4), b.SelfConsistency(4), b.AdaptiveSelfConsistency(8), b.FirstFinish(4),
            b.BudgetForcing(40, 200), b.IterativeRefinement(), b.BeamSearch(2, 2), b.Dvts(2, 2), b.ParticleFiltering(4),
            b.Using(new SelfConsistency(3), Budget.Samples(3)),
        ];
        foreach (var p in pipelines)
        {
            var r = await p.SolveAsync(P);
            Assert.NotEqual(SearchOutcome.Cancelled, r.Outcome);
            Assert.NotNull(r.Answer);
        }
        Assert.Throws<ArgumentException>(() => Scale.With(sampler).Using(new SelfConsistency(3)));
    }
}
