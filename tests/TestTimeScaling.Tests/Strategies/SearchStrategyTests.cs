using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

public class SearchStrategyTests
{
    private static async Task<int> Accuracy(Func<ISearchStrategy> make, int samples, double errorRate = 0.3)
    {
        int correct = 0;
        for (int i = 0; i < 25; i++)
        {
            var problem = FakeArithmetic.Make(500 + i, 5);
            var r = await make().SolveAsync(problem, Contexts.For(new ScriptedSampler(errorRate), new FakePrm(0.05), Budget.Samples(samples), seed: i));
            if (r.Answer == problem.ReferenceAnswer) correct++;
        }
        return correct;
    }

    [Theory]
    [InlineData("beam-search")]
    [InlineData("dvts")]
    [InlineData("particle-filtering")]
    public async Task Search_under_a_prm_beats_a_single_sample(string name)
    {
        int single = await Accuracy(() => new SelfConsistency(1), 1);
        int search = await Accuracy(Catalog.Get(name).Make, 16);
        Assert.True(search > single + 5, $"{name}: {search}/25 vs single {single}/25");
    }

    [Fact]
    public async Task Beam_search_expands_beams_with_the_step_delimiter_and_keeps_the_best()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.3));
        var r = await new StepBeamSearch(2, 3, 10).SolveAsync(FakeArithmetic.Make(7), Contexts.For(sampler, new FakePrm(), Budget.Samples(16)));
        Assert.All(sampler.Requests, q => Assert.Equal("\n", q.Options.StepDelimiter));
        Assert.Equal(6, sampler.Requests[0].RowCount);
        Assert.All(sampler.Requests.Skip(1), q => { Assert.True(q.Prefixes.Count <= 2); Assert.Equal(3, q.N); });
        Assert.Equal(r.Candidates.Where(c => c.Answer != null).Max(c => c.Score!.Value), r.Chosen!.Score!.Value);
        Assert.Contains(r.Trace.Events, e => e.Kind == "round");
    }

    [Fact]
    public async Task Dvts_grows_independent_subtrees_from_the_budget()
    {
        var sampler = new CountingSampler(new ScriptedSampler(0.3));
        var r = await new DiverseVerifierTreeSearch(width: 4).SolveAsync(FakeArithmetic.Make(8), Contexts.For(sampler, new FakePrm(), Budget.Samples(12)));
        Assert.Equal(3, sampler.Requests[0].Prefixes.Count);
        Assert.Equal(4, sampler.Requests[0].N);
        Assert.True(r.Candidates.Count <= 3);
    }

    [Fact]
    public async Task Particle_filtering_reports_effective_sample_size_and_resamples()
    {
        var r = await new ParticleFiltering(8, 12).SolveAsync(FakeArithmetic.Make(9), Contexts.For(new ScriptedSampler(0.4), new FakePrm(0.05), Budget.Samples(8)));
        var ess = r.Trace.Events.Where(e => e.Kind == "weigh").Select(e => e.Values!["ess"]).ToList();
        Assert.NotEmpty(ess);
        Assert.All(ess, v => Assert.InRange(v, 1.0, 8.0 + 1e-9));
        Assert.Contains(r.Trace.Events, e => e.Kind == "resample");
        Assert.True(r.Candidates.Count <= 8);
    }

    [Fact]
    public async Task Particle_filtering_weighted_vote_selection_works()
    {
        var problem = FakeArithmetic.Make(10);
        var r = await new ParticleFiltering(8, 12, selection: ParticleSelection.WeightedVote)
            .SolveAsync(problem, Contexts.For(new ScriptedSampler(0.2), new FakePrm(), Budget.Samples(8)));
        Assert.NotNull(r.Answer);
    }

    [Fact]
    public void Weights_and_resampling()
    {
        var pf = new ParticleFiltering();
        var w = pf.Weights([0.9, 0.1, 0.9]);
        Assert.Equal(1.0, w.Sum(), 9);
        Assert.True(w[0] > w[1]);
        Assert.Equal(w[0], w[2], 12);
        var picks = ParticleFiltering.Resample([0.5, 0.0, 0.5], 4, ResamplingScheme.Systematic, new Random(1));
        Assert.DoesNotContain(1, picks);
        Assert.Equal(2, picks.Count(p => p == 0));
        Assert.All(ParticleFiltering.Resample([0.2, 0.8], 16, ResamplingScheme.Multinomial, new Random(2)), p => Assert.InRange(p, 0, 1));
    }

    [Fact]
    public void Options_are_validated_with_the_parameter_name()
    {
        Assert.Equal("beamWidth", Assert.Throws<ArgumentOutOfRangeException>(() => new StepBeamSearch(0)).ParamName);
        Assert.Equal("expansions", Assert.Throws<ArgumentOutOfRangeException>(() => new StepBeamSearch(2, 0)).ParamName);
        Assert.Equal("maxDepth", Assert.Throws<ArgumentOutOfRangeException>(() => new StepBeamSearch(2, 2, 0)).ParamName);
        Assert.Equal("subtrees", Assert.Throws<ArgumentOutOfRangeException>(() => new DiverseVerifierTreeSearch(4, 0)).ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => new DiverseVerifierTreeSearch(0)).ParamName);
        Assert.Equal("particles", Assert.Throws<ArgumentOutOfRangeException>(() => new ParticleFiltering(0)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new ParticleFiltering(temperature: 0)).ParamName);
    }
}
