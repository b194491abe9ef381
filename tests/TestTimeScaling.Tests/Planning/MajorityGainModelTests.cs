namespace TestTimeScaling.Tests.Planning;

/// <summary>The vote's value model ranks split votes above settled and diffuse ones, and is reproducible.</summary>
public class MajorityGainModelTests
{
    private static readonly MajorityGainModel Model = new(lookahead: 4, draws: 4000);

    [Fact]
    public void A_split_vote_gains_more_per_sample_than_a_settled_one()
    {
        var split = Model.BestGain([2, 2], 0, seed: 1).GainPerSample;
        var settled = Model.BestGain([5, 1], 0, seed: 1).GainPerSample;
        var unanimous = Model.BestGain([8], 0, seed: 1).GainPerSample;
        Assert.True(split > 2 * settled, $"split {split} vs settled {settled}");
        Assert.True(split > 0.02, $"split {split}");
        Assert.True(Math.Abs(settled) < 0.02, $"settled {settled}");
        Assert.Equal(0, unanimous, 12); // one answer only: no sample can change the vote
    }

    [Fact]
    public void A_diffuse_vote_is_worth_less_than_a_peaked_one()
    {
        // Four different answers: the model is guessing, and even the mode is rarely right.
        var diffuse = Model.Values([1, 1, 1, 1], 0, seed: 2);
        var peaked = Model.Values([3, 1], 0, seed: 2);
        Assert.True(diffuse[0] < peaked[0] / 2, $"diffuse {diffuse[0]} vs peaked {peaked[0]}");
        Assert.True(diffuse[^1] < peaked[^1], $"diffuse {diffuse[^1]} vs peaked {peaked[^1]}");
    }

    [Fact]
    public void More_samples_never_lower_the_expected_value_of_a_tie()
    {
        var v = Model.Values([2, 2], 1, seed: 3);
        Assert.Equal(5, v.Length);
        Assert.True(v[2] > v[0], $"V(2) {v[2]} vs V(0) {v[0]}");
        Assert.True(v[4] > v[0], $"V(4) {v[4]} vs V(0) {v[4]}");
        Assert.All(v, x => Assert.InRange(x, 0, 1));
    }

    [Fact]
    public void One_more_sample_cannot_turn_three_against_one_so_the_lookahead_asks_for_more()
    {
        var (_, samples) = Model.BestGain([3, 1], 0, seed: 4);
        Assert.True(samples >= 2, $"asked for {samples}");
    }

    [Fact]
    public void Same_seed_same_estimate_and_no_answers_are_worth_nothing()
    {
        Assert.Equal(Model.Values([2, 1, 1], 2, seed: 5), Model.Values([2, 1, 1], 2, seed: 5));
        Assert.All(Model.Values([], 4, seed: 6), x => Assert.Equal(0, x));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajorityGainModel(lookahead: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajorityGainModel(draws: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajorityGainModel(prior: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Values([1, -1], 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Values([1], -1, 0));
    }
}
