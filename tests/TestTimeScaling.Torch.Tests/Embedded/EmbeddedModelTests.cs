using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch.Tests.Integration;
using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Embedded;

/// <summary>The shipped policy and reward model: they load, generate, and have the quality their cards claim.</summary>
[Collection(EmbeddedModelsCollection.Name)]
public class EmbeddedModelTests(EmbeddedModelsFixture models)
{
    [Fact]
    public void TheShippedTokenizerMatchesTheTrainingVocabulary()
    {
        const string text = "Q: 117 +205 /2 -69 *3\n117+205=322\nA: 76\n";
        Assert.Equal(EmbeddedModels.Vocabulary.Encode(text), models.Policy.Tokenizer.Encode(text));
        Assert.Equal(EmbeddedModels.Vocabulary.Encode(text), models.Prm.Tokenizer.Encode(text));
        Assert.True(models.Policy.Tokenizer.AddBosToken);
        Assert.Equal(EmbeddedModels.Vocabulary.BosTokenId, models.Policy.Tokenizer.BosTokenId);
        Assert.Equal(EmbeddedModels.Vocabulary.EosTokenIds, models.Policy.Tokenizer.EosTokenIds);
    }

    [Fact]
    public async Task TheShippedPolicyGeneratesSolutionsInTheTaskFormat()
    {
        using var sampler = models.Policy.CreateSampler();
        var problem = EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 1)[0];
        var result = await sampler.SampleAsync(new SampleRequest { Prompt = problem.Prompt, N = 4, Options = new() { Temperature = 0.8, MaxNewTokens = 140, Seed = 1 } });
        Assert.Equal(4, result.Completions.Count);
        Assert.All(result.Completions, c =>
        {
            Assert.Equal(FinishReason.Stop, c.FinishReason);
            Assert.NotNull(ArithmeticAnswerExtractor.Instance.Extract(c.Text));
        });
    }

    [Fact]
    public async Task SingleSampleAccuracyOnAFixedHeldOutSetIsInsideTheBand()
    {
        // 100 fixed held-out problems (20 per level), 4 samples each at temperature 0.8, seed 7.
        using var sampler = models.Policy.CreateSampler();
        var problems = Enumerable.Range(1, 5).SelectMany(level => EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, level).Take(20)).ToList();
        int correct = 0, total = 0;
        var byLevel = new double[6];
        foreach (var (problem, i) in problems.Select((p, i) => (p, i)))
        {
            var result = await sampler.SampleAsync(new SampleRequest { Prompt = problem.Prompt, N = 4, Options = new() { Temperature = 0.8, MaxNewTokens = 140, Seed = 7 + i } });
            int right = result.Completions.Count(c => ArithmeticAnswerExtractor.Instance.Extract(c.Text) == problem.AnswerText);
            correct += right;
            total += 4;
            byLevel[problem.Level] += right / 80.0;
        }
        double accuracy = (double)correct / total;
        Assert.InRange(accuracy, 0.20, 0.70);
        // Harder problems are solved less often.
        Assert.True(byLevel[1] > byLevel[3] && byLevel[3] > byLevel[5], $"accuracy by level: {string.Join(", ", byLevel.Skip(1).Select(a => a.ToString("F2")))}");
    }

    [Fact]
    public async Task TheRewardModelRanksCorrectSolutionsAboveTheSameWithOneCorruptedStep()
    {
        // 50 fixed Dev problems: the gold solution and the same with one injected error (seeded), scored by the
        // verifier as users get it (last-step aggregation). Measured for the shipped PRM: the gold solution scores
        // strictly higher in 39 of 50 pairs, and the step-level AUROC on these 100 solutions is 0.852.
        var verifier = models.Prm.CreateProcessVerifier();
        var random = new SeededRandom(11);
        var scores = new List<double>();
        var labels = new List<bool>();
        int goldHigher = 0;
        foreach (var problem in EvaluationSplits.Dev.Where((_, i) => i % 5 == 0))
        {
            string gold = SolutionWriter.Write(problem);
            string corrupted = ErrorInjector.Corrupt(problem, gold, random).Text;
            var result = await verifier.ScoreAsync(problem.ToProblem(), [gold, corrupted]);
            if (result[0].Value > result[1].Value) goldHigher++;
            foreach (var (text, score) in new[] { (gold, result[0]), (corrupted, result[1]) })
            {
                var stepLabels = StepLabeler.Label(problem, text);
                Assert.Equal(stepLabels.Count, score.StepScores!.Count);
                scores.AddRange(score.StepScores);
                labels.AddRange(stepLabels);
            }
        }
        double auroc = TestTimeScaling.Auroc.Compute(scores, labels);
        Assert.True(goldHigher >= 35, $"gold ranked above its corrupted copy in {goldHigher} of 50 pairs");
        Assert.True(auroc >= 0.80, $"step-level AUROC {auroc:F3}");
    }
}
