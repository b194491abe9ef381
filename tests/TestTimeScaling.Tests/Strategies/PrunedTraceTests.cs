using System.Text.Json;
using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>The step-level searches trace what they dropped: the partial solution's text, its score and why.</summary>
public class PrunedTraceTests
{
    private static SearchContext Context(double errorRate, int samples, long seed) =>
        Contexts.For(new ScriptedSampler(errorRate), new FakePrm(0.05), Budget.Samples(samples), seed: seed);

    [Fact]
    public async Task Beam_search_traces_each_beam_ranked_below_the_kept_ones()
    {
        var problem = FakeArithmetic.Make(7);
        var r = await new StepBeamSearch(2, 3, 10).SolveAsync(problem, Context(0.3, 16, 1));
        var pruned = r.Trace.Events.Where(e => e.IsPruned).ToList();
        Assert.NotEmpty(pruned);
        foreach (var e in pruned)
        {
            Assert.Equal(SearchTrace.PrunedKind, e.Kind);
            Assert.False(string.IsNullOrEmpty(e.Text));
            Assert.Contains("ranked below", e.Message);
            Assert.InRange(e.Values!["depth"], 1, 10);
            // Dropped beams are not returned: no candidate's text is a pruned partial solution.
            Assert.DoesNotContain(r.Candidates, c => c.Text == e.Text);
        }
        // Every dropped beam was scored before it was ranked.
        Assert.All(pruned, e => Assert.InRange(e.Values!["score"], 0, 1));
    }

    [Fact]
    public async Task Dvts_traces_the_losing_siblings_and_particle_filtering_the_particles_resampled_away()
    {
        var dvts = await new DiverseVerifierTreeSearch(width: 4).SolveAsync(FakeArithmetic.Make(8), Context(0.3, 12, 2));
        Assert.Contains(dvts.Trace.Events, e => e.IsPruned && e.Message.Contains("lost to its sibling", StringComparison.Ordinal));

        var pf = await new ParticleFiltering(8, 12).SolveAsync(FakeArithmetic.Make(9), Context(0.4, 8, 3));
        var away = pf.Trace.Events.Where(e => e.IsPruned).ToList();
        Assert.NotEmpty(away);
        Assert.All(away, e => Assert.Contains("resampled away", e.Message));
    }

    [Fact]
    public async Task Mcts_traces_the_nodes_it_never_expanded()
    {
        var r = await new MonteCarloTreeSearch(6, 3, maxDepth: 12).SolveAsync(FakeArithmetic.Make(11), Context(0.3, 8, 4));
        var never = r.Trace.Events.Where(e => e.IsPruned).ToList();
        Assert.NotEmpty(never);
        Assert.All(never, e => { Assert.Contains("Never expanded", e.Message); Assert.True(e.Values!["visits"] >= 1); });
    }

    [Fact]
    public void Pruned_events_keep_their_text_in_json_and_through_an_inner_trace()
    {
        var inner = new SearchTrace("beam-search");
        inner.AddPruned("ranked below", "2 + 3 = 5\n", new Dictionary<string, double> { ["score"] = 0.25 });
        var outer = new SearchTrace("vote-over");
        outer.AddInner(inner);
        var e = Assert.Single(outer.Events);
        Assert.Equal("beam-search/pruned", e.Kind);
        Assert.Equal("2 + 3 = 5\n", e.Text);
        Assert.True(e.IsPruned);
        using var doc = JsonDocument.Parse(outer.ToJson());
        Assert.Equal("2 + 3 = 5\n", doc.RootElement.GetProperty("events")[0].GetProperty("text").GetString());
        Assert.Throws<ArgumentNullException>(() => outer.AddPruned("why", null!));
        Assert.False(new TraceEvent(0, "round", "r", null).IsPruned);
    }
}
