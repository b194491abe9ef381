using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch.Tests.Integration;
using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Embedded;

/// <summary>The training program's evaluation on the shipped models: its best-of-N curve agrees with its table.</summary>
[Collection(EmbeddedModelsCollection.Name)]
public class ModelEvaluatorTests(EmbeddedModelsFixture models)
{
    [Fact]
    public async Task TheCurveStartsAtOneSampleAndEndsAtTheTablesFigures()
    {
        using var sampler = models.Policy.CreateSampler();
        var problems = Enumerable.Range(1, 5).Select(level => EvaluationSplits.OfLevel(EvaluationSplits.Dev, level)[0]).ToList();

        var report = await ModelEvaluator.EvaluateAsync(sampler, problems, samples: 4, temperature: 0.8, seed: 3, prm: models.Prm.CreateProcessVerifier());

        Assert.Equal([1, 2, 4], report.Curve!.Select(p => p.N));
        // One sample: every method is that sample (a cut-off one, with no answer, is wrong for all of them).
        var one = report.Curve![0];
        Assert.Equal(report.Overall.SingleSample, one.Majority, 12);
        Assert.Equal(report.Overall.SingleSample, one.PrmWeighted, 12);
        Assert.Equal(report.Overall.SingleSample, one.PrmBest, 12);
        // All samples in one group: the table's columns.
        var all = report.Curve![^1];
        Assert.Equal(report.Overall.Majority, all.Majority, 12);
        Assert.Equal(report.Overall.PrmWeighted!.Value, all.PrmWeighted, 12);
        Assert.Equal(report.Overall.PrmBest!.Value, all.PrmBest, 12);
        Assert.InRange(all.PrmBest, all.PrmBestLow, all.PrmBestHigh);
        var difference = report.WeightedMinusMajority!;
        Assert.Equal(report.Overall.PrmWeighted!.Value - report.Overall.Majority, difference.Mean, 12);
        Assert.Equal(difference.Wins - difference.Losses, (int)Math.Round(difference.Mean * problems.Count));
    }

    [Fact]
    public async Task WithoutARewardModelThereIsNoCurve()
    {
        using var sampler = models.Policy.CreateSampler();
        var report = await ModelEvaluator.EvaluateAsync(sampler, EvaluationSplits.Dev.Take(2).ToList(), samples: 2);
        Assert.Null(report.Curve);
        Assert.Null(report.WeightedMinusMajority);
    }
}
