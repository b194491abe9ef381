using TestTimeScaling.Arithmetic;
using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Training;

public class TrainingTests
{
    private static readonly CharacterVocabulary Vocabulary = EmbeddedModels.Vocabulary;

    // A model small enough that a few dozen steps run in a couple of seconds.
    private static readonly PolicyTrainingOptions Tiny = new()
    {
        Steps = 40, BatchSize = 16, WarmupSteps = 5, LearningRate = 3e-3,
        HiddenSize = 32, Layers = 2, Heads = 2, KeyValueHeads = 1, IntermediateSize = 64, ContextLength = 160,
    };

    [Fact]
    public void AShortPolicyRunLowersTheLoss()
    {
        var run = PolicyTrainer.Train(Tiny, Vocabulary);
        using var model = run.Model;
        Assert.Equal(40, run.Losses.Count);
        double first = run.Losses.Take(5).Average(), last = run.Losses.TakeLast(5).Average();
        Assert.True(last < first - 0.25, $"loss went from {first:F3} to {last:F3}");
    }

    [Fact]
    public void TheSameSeedTrainsTheSameModel()
    {
        var options = Tiny with { Steps = 5 };
        var a = PolicyTrainer.Train(options, Vocabulary);
        var b = PolicyTrainer.Train(options, Vocabulary);
        using var ma = a.Model;
        using var mb = b.Model;
        Assert.Equal(a.Losses, b.Losses);
    }

    [Fact]
    public void AShortRewardModelRunLowersTheLoss()
    {
        var problems = ProblemGenerator.GenerateMixed(60, seed: 5);
        var random = new SeededRandom(5);
        var examples = problems.SelectMany(p =>
        {
            string gold = SolutionWriter.Write(p);
            return new[] { PrmDataset.Label(p, gold, "gold"), PrmDataset.Label(p, ErrorInjector.Corrupt(p, gold, random).Text, "injected") };
        }).ToList();
        var options = new PrmTrainingOptions { Steps = 40, BatchSize = 16, WarmupSteps = 5, HiddenSize = 32, Layers = 2, Heads = 2, KeyValueHeads = 1, IntermediateSize = 64 };
        var run = PrmTrainer.Train(examples, options, Vocabulary);
        using var model = run.Model;
        double first = run.Losses.Take(5).Average(), last = run.Losses.TakeLast(5).Average();
        Assert.True(last < first * 0.9, $"loss went from {first:F3} to {last:F3}");
    }

    [Fact]
    public void AFrozenTrunkStaysThePolicysWhileTheAddedBlocksAndHeadTrain()
    {
        using var policy = PolicyTrainer.Train(Tiny with { Steps = 3 }, Vocabulary).Model;
        var examples = PrmDataset.Synthetic(seed: 9).Take(40).ToList();
        var options = new PrmTrainingOptions { Steps = 3, BatchSize = 8, WarmupSteps = 1, ExtraLayers = 1, FreezeTrunk = true, LanguageModelingWeight = 1 };
        using var prm = PrmTrainer.Train(examples, options, Vocabulary, initializeFrom: policy).Model;

        var before = policy.StateDict();
        var after = prm.StateDict();
        Assert.Equal(policy.Config.NumHiddenLayers + 1, prm.Config.NumHiddenLayers);
        foreach (var (name, weights) in before)
            Assert.True(weights.allclose(after[name], rtol: 0, atol: 0), $"{name} changed although the trunk is frozen");
        // The score head trained: it is no longer what the seed initialised it to (the trunk copy never touches it).
        using var initial = TestTimeScaling.Torch.LlamaDecoder.Create(PrmTrainer.ConfigFrom(policy.Config, 1), options.Seed);
        Assert.False(initial.StateDict()["score.weight"].allclose(after["score.weight"], rtol: 0, atol: 0), "score.weight did not train");
        // The added block's output projection starts at zero (a pass-through) and must have moved.
        string added = $"model.layers.{policy.Config.NumHiddenLayers}.mlp.down_proj.weight";
        Assert.True(after[added].abs().sum().item<float>() > 0, $"{added} did not train");
    }

    [Fact]
    public void TheLanguageModelingTermAddsToTheRewardLoss()
    {
        using var policy = PolicyTrainer.Train(Tiny with { Steps = 3 }, Vocabulary).Model;
        var examples = PrmDataset.Synthetic(seed: 9).Take(40).ToList();
        var options = new PrmTrainingOptions { Steps = 1, BatchSize = 8, WarmupSteps = 1, ExtraLayers = 1, SyntheticShare = 0, LanguageModelingWeight = 0 };
        var plain = PrmTrainer.Train(examples, options, Vocabulary, initializeFrom: policy);
        var withLm = PrmTrainer.Train(examples, options with { LanguageModelingWeight = 1 }, Vocabulary, initializeFrom: policy);
        using var a = plain.Model;
        using var b = withLm.Model;
        // Same weights, same batch: the first loss differs by exactly the next-token term, which is positive.
        Assert.True(withLm.Losses[0] > plain.Losses[0] + 0.1, $"{withLm.Losses[0]:F3} vs {plain.Losses[0]:F3}");
    }

    [Fact]
    public void SyntheticSolutionsAreFreshAlternatingAndReproducible()
    {
        var first = PrmDataset.Synthetic(seed: 4).Take(600).ToList();
        var again = PrmDataset.Synthetic(seed: 4).Take(600).ToList();
        Assert.Equal(first.Select(e => e.Prompt + string.Concat(e.Steps)), again.Select(e => e.Prompt + string.Concat(e.Steps)));
        Assert.Equal(Enumerable.Range(0, 600).Select(i => i % 2 == 0 ? "gold" : "injected"), first.Select(e => e.Source));
        Assert.All(first.Where(e => e.Source == "gold"), e => Assert.All(e.Labels, Assert.True));
        Assert.All(first.Where(e => e.Source == "injected"), e => Assert.Contains(false, e.Labels));
        Assert.DoesNotContain(first, e => EvaluationSplits.IsEvaluation(e.Prompt));
        Assert.True(first.Select(e => e.Prompt).Distinct().Count() > 500, "problems repeat");
    }

    [Fact]
    public void ACutOffLastLineIsClosedAndLabelledWrongAtItsEnd()
    {
        var problem = ArithmeticProblem.Parse("Q: 17 +8 *3\n");
        var example = PrmDataset.Label(problem, "17+8=25\n25*3=7", "policy");

        Assert.Equal(["17+8=25\n", "25*3=7\n"], example.Steps);
        Assert.Equal([true, false], example.Labels);
        // "25*3=7\n" departs from "25*3=75\n" at the newline, where the line ended too early.
        Assert.Equal("17+8=25\n25*3=7".Length, example.FirstErrorOffset);
    }

    [Fact]
    public void PolicyExamplesLearnOnlyTheSolutionAndTheEnd()
    {
        var problem = ProblemGenerator.Generate(1, seed: 3, level: 2)[0];
        var (input, targets) = PolicyTrainer.Example(problem, Vocabulary);
        int promptTokens = problem.Prompt.Length + 1; // BOS + one token per character
        Assert.All(targets.Take(promptTokens - 1), t => Assert.Equal(-100, t));
        Assert.Equal(Vocabulary.EosTokenId, targets[^1]);
        Assert.Equal(SolutionWriter.Write(problem), Vocabulary.Decode(targets.Where(t => t >= 0).Select(t => (int)t)));
        Assert.Equal(input.Length, targets.Length);
    }

    [Fact]
    public void RewardExamplesAreRightUpToTheFirstErrorAndWrongFromIt()
    {
        var problem = ProblemGenerator.Generate(1, seed: 4, level: 3)[0];
        string gold = SolutionWriter.Write(problem);
        var corrupted = ErrorInjector.Corrupt(problem, gold, new SeededRandom(1));
        var example = PrmDataset.Label(problem, corrupted.Text, "injected");
        var (input, targets) = PrmTrainer.Encode(example, Vocabulary);

        // Only solution tokens are labelled, one per character.
        string solution = string.Concat(example.Steps);
        var labelled = targets.Select((t, i) => (t, i)).Where(x => x.t >= 0).ToList();
        Assert.Equal(solution.Length, labelled.Count);
        Assert.Equal(solution, Vocabulary.Decode(labelled.Select(x => input[x.i])));

        // The first 0 is the first character where the corrupted text departs from the gold one.
        int firstDiff = Enumerable.Range(0, solution.Length).First(i => i >= gold.Length || solution[i] != gold[i]);
        Assert.Equal(firstDiff, example.FirstErrorOffset);
        Assert.All(labelled.Take(firstDiff), x => Assert.Equal(1L, x.t));
        Assert.All(labelled.Skip(firstDiff), x => Assert.Equal(0L, x.t));

        // At each step's newline the target is that step's label.
        var newlines = labelled.Where(x => Vocabulary.Decode([input[x.i]]) == "\n").Select(x => x.t);
        Assert.Equal(example.Labels.Select(l => l ? 1L : 0L), newlines);
        Assert.Null(PrmDataset.Label(problem, gold, "gold").FirstErrorOffset);
    }

    [Fact]
    public void TheScheduleWarmsUpThenDecaysToItsFloor()
    {
        var schedule = new CosineSchedule(1e-3, WarmupSteps: 10, TotalSteps: 110, FloorFraction: 0.1);
        Assert.Equal(1e-4, schedule.At(0), 12);
        Assert.Equal(1e-3, schedule.At(9), 12);
        Assert.True(schedule.At(60) < schedule.At(20));
        Assert.Equal(1e-4, schedule.At(110), 12);
    }

    [Fact]
    public void InvalidOptionsNameTheSetting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PolicyTrainer.Train(Tiny with { BatchSize = 0 }, Vocabulary));
        Assert.Equal("BatchSize", error.ParamName);
    }
}
