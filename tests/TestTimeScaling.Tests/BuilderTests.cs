using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests;

/// <summary>The README's examples, run against the fakes.</summary>
public class BuilderTests
{
    private static readonly Problem P = FakeArithmetic.Make(61);
    private readonly ISampler sampler = new ScriptedSampler(0.2);
    private readonly IVerifier prm = new FakePrm();
    // The fakes write the embedded task's "A: 61" final line; the builder has no default extractor.
    private static readonly IAnswerExtractor Answers = new LastLineAnswerExtractor("A:");

    [Fact]
    public async Task Best_of_n_in_one_line()
    {
        var result = await Scale.With(sampler).Extractor(Answers).Verifier(prm).Seed(1).BestOfN(16).SolveAsync(P.Prompt);
        Assert.Equal(P.ReferenceAnswer, result.Answer);
        Assert.Equal(16, result.Candidates.Count);
    }

    [Fact]
    public async Task Self_consistency_over_refinement_chains()
    {
        var pipeline = Scale.With(sampler).Extractor(Answers).Verifier(prm).Seed(2).IterativeRefinement(maxRevisions: 2, satisfiedScore: 0.9).VotedOver(5);
        var result = await pipeline.SolveAsync(P);
        Assert.Equal(15, pipeline.Context.Budget.MaxSamples);
        Assert.NotNull(result.Answer);
    }

    [Fact]
    public async Task Beam_search_with_a_token_budget()
    {
        var result = await Scale.With(sampler).Extractor(Answers).Verifier(prm).Seed(3).MaxGeneratedTokens(4_000).BeamSearch(beamWidth: 4, expansions: 4).SolveAsync(P);
        Assert.True(result.Usage.GeneratedTokens <= 4_000);
        Assert.NotNull(result.Answer);
    }

    [Fact]
    public async Task The_newer_strategies_build_in_one_line()
    {
        var b = Scale.With(sampler).Extractor(Answers).Verifier(prm).Seed(6);
        var deepConf = await b.DeepConf(8, DeepConfMode.Offline, keepPercent: 50).SolveAsync(P);
        var qalign = await b.QAlign(iterations: 4, chains: 2).SolveAsync(P);
        var mcts = await b.Mcts(simulations: 4, expansions: 2).SolveAsync(P);
        Assert.Equal(("deepconf", 8), (deepConf.Trace.Strategy, deepConf.Candidates.Count));
        Assert.Equal("qalign", qalign.Trace.Strategy);
        Assert.Equal("mcts", mcts.Trace.Strategy);
        Assert.NotNull(deepConf.Answer);
        Assert.NotNull(qalign.Answer);
        Assert.NotEmpty(mcts.Candidates);
        Assert.Equal(10, b.QAlign(iterations: 4, chains: 2).Context.Budget.MaxSamples);
    }

    [Fact]
    public async Task Every_builder_method_runs()
    {
        var b = Scale.With(sampler).Verifier(prm).Seed(4).Extractor(Answers).Temperature(0.8);
        ScalingPipeline[] pipelines =
        [
            b.BestOfN(4), b.WeightedBestOfN(4), b.SelfConsistency(4), b.AdaptiveSelfConsistency(8), b.FirstFinish(4),
            b.BudgetForcing(40, 200, answerCue: "A: "), b.IterativeRefinement(), b.BeamSearch(2, 2), b.Dvts(2, 2), b.ParticleFiltering(4),
            b.Using(new SelfConsistency(3), Budget.Samples(3)),
        ];
        foreach (var p in pipelines)
        {
            var r = await p.SolveAsync(P);
            Assert.NotEqual(SearchOutcome.Cancelled, r.Outcome);
            Assert.NotNull(r.Answer);
        }
        Assert.Throws<ArgumentException>(() => Scale.With(sampler).Extractor(Answers).Using(new SelfConsistency(3)));
    }

    [Fact]
    public void Picking_a_strategy_without_an_extractor_says_what_to_do()
    {
        var b = Scale.With(sampler).Verifier(prm);
        var e = Assert.Throws<InvalidOperationException>(() => b.SelfConsistency(4));
        Assert.Contains("Extractor(", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => b.BeamSearch());
        Assert.Throws<InvalidOperationException>(() => b.Using(new SelfConsistency(3), Budget.Samples(3)));
    }

    [Fact]
    public void Sampling_settings_named_as_in_chat_options_reach_the_context()
    {
        var context = Scale.With(sampler).Extractor(Answers)
            .Temperature(0.5).TopP(0.9).TopK(20).MaxOutputTokens(64).Seed(9).MaxGeneratedTokens(1_000)
            .SelfConsistency(4).Context;
        var sampling = context.Sampling;
        Assert.Equal((0.5, 0.9, 20, 64, 9L), (sampling.Temperature, sampling.TopP, sampling.TopK, sampling.MaxNewTokens, sampling.Seed));
        Assert.Equal(new Budget(MaxSamples: null, MaxGeneratedTokens: 1_000), context.Budget);
        Assert.Same(Answers, context.AnswerExtractor);
        Assert.Throws<ArgumentOutOfRangeException>(() => Scale.With(sampler).TopP(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scale.With(sampler).MaxOutputTokens(0));
    }
}
