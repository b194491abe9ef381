using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch.Tests.Integration;
using TestTimeScaling.Torch.Verification;
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
    public async Task TheRewardModelRanksACorrectSolutionAboveTheSameWithOneCorruptedStep()
    {
        var verifier = models.Prm.CreateProcessVerifier(new ProcessRewardOptions { Aggregation = StepAggregation.Min });
        var random = new SeededRandom(11);
        var problems = EvaluationSplits.Dev.Where((_, i) => i % 5 == 0).ToList(); // 50 problems across levels
        int ranked = 0;
        foreach (var problem in problems)
        {
            string gold = SolutionWriter.Write(problem);
            string corrupted = ErrorInjector.Corrupt(problem, gold, random).Text;
            var scores = await verifier.ScoreAsync(problem.ToProblem(), [gold, corrupted]);
            if (scores[0].Value > scores[1].Value) ranked++;
            Assert.Equal(StepTokens.SplitTerminated(gold, "\n").Count, scores[0].StepScores!.Count);
        }
        Assert.True(ranked >= 0.9 * problems.Count, $"gold ranked above corrupted in {ranked} of {problems.Count}");
    }
}
