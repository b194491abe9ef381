using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Verifiers;

public class VerifierCombinatorTests
{
    [Theory]
    [InlineData(StepAggregation.Last, 0.5)]
    [InlineData(StepAggregation.Min, 0.2)]
    [InlineData(StepAggregation.Product, 0.08)]
    [InlineData(StepAggregation.Mean, 0.5)]
    public void Aggregations(StepAggregation a, double expected) =>
        Assert.Equal(expected, new[] { 0.8, 0.2, 0.5 }.Aggregate(a), 6);

    [Fact]
    public void Empty_steps_give_the_fallback() => Assert.Equal(0.3, Array.Empty<double>().Aggregate(StepAggregation.Min, 0.3));

    [Fact]
    public async Task Process_score_aggregator_replaces_the_value_and_keeps_the_steps()
    {
        var problem = FakeArithmetic.Make(1, 2);
        var p = FakeArithmetic.Parse(problem.Prompt);
        long v1 = FakeArithmetic.Apply(p.Start, p.Ops[0].Op, p.Ops[0].Operand);
        var text = $"{p.Start} {p.Ops[0].Op} {p.Ops[0].Operand} = {v1 + 1}\n";
        var wrapped = new ProcessScoreAggregator(new FakePrm(), StepAggregation.Last);
        var scores = await wrapped.ScoreAsync(problem, [text]);
        Assert.Equal(FakePrm.Bad, scores[0].Value);
        Assert.Single(scores[0].StepScores!);
        Assert.Equal(VerifierKind.Process, wrapped.Kind);
    }

    [Fact]
    public async Task Programmatic_verifier_scores_with_the_delegate()
    {
        var v = new ProgrammaticVerifier((Problem _, string s) => s.Contains("ok"));
        var scores = await v.ScoreAsync(new Problem("q"), ["ok", "no"]);
        Assert.Equal([1.0, 0.0], scores.Select(s => s.Value));
        Assert.Equal(VerifierKind.Outcome, v.Kind);

        var oracle = ProgrammaticVerifier.ReferenceAnswer(LastLineAnswerExtractor.Default);
        var o = await oracle.ScoreAsync(new Problem("q", ReferenceAnswer: "63.0"), ["A: 63", "A: 64", "nothing"]);
        Assert.Equal([1.0, 0.0, 0.0], o.Select(s => s.Value));
    }
}
