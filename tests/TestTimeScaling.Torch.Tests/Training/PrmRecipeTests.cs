using TestTimeScaling.Arithmetic;
using TestTimeScaling.Training;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Training;

/// <summary>The reward model's recipe knobs: sampling temperatures, hard negatives, calibration, and the evaluation's intervals.</summary>
public class PrmRecipeTests
{
    private static readonly CharacterVocabulary Vocabulary = EmbeddedModels.Vocabulary;

    private static readonly PrmTrainingOptions TinyPrm = new()
    {
        Steps = 1, BatchSize = 8, WarmupSteps = 1, HiddenSize = 32, Layers = 2, Heads = 2, KeyValueHeads = 1, IntermediateSize = 64,
        SyntheticShare = 0, LanguageModelingWeight = 0, PolicyErrorShare = 0, SamplingTemperatures = [1.0],
    };

    /// <summary>Writes each problem's gold solution, or (every other call) the same with its first result off by one; records the temperatures asked for.</summary>
    private sealed class RecordingSampler : ISampler
    {
        public List<double> Temperatures { get; } = [];

        public SamplerCapabilities Capabilities { get; } = new();

        public int CountTokens(string text) => text.Length;

        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
        {
            Temperatures.Add(request.Options.Temperature);
            var problem = ArithmeticProblem.Parse(request.Prompt);
            string gold = SolutionWriter.Write(problem);
            var completions = Enumerable.Range(0, request.N).Select(j => new Completion { Text = j % 2 == 0 ? gold : Slip(problem, gold) }).ToList();
            return Task.FromResult(new SampleResult(completions, Usage.Zero));
        }

        private static string Slip(ArithmeticProblem problem, string gold)
        {
            var lines = gold.Split('\n');
            int equals = lines[0].IndexOf('=', StringComparison.Ordinal);
            lines[0] = lines[0][..(equals + 1)] + (long.Parse(lines[0][(equals + 1)..], System.Globalization.CultureInfo.InvariantCulture) + 1);
            return string.Join('\n', lines);
        }
    }

    [Fact]
    public async Task ThePolicyIsSampledAtEachTemperatureInTurn()
    {
        var sampler = new RecordingSampler();
        var options = TinyPrm with { PolicyProblems = 5, SamplesPerProblem = 2, SamplingTemperatures = [0.7, 1.3] };
        var examples = await PrmDataset.BuildAsync(sampler, options);

        Assert.Equal([0.7, 1.3, 0.7, 1.3, 0.7], sampler.Temperatures);
        Assert.Equal(5 * 4, examples.Count);
        Assert.Equal(5, examples.Count(e => e.Source == "policy" && e.Labels.Contains(false)));
    }

    [Fact]
    public void EmptyOrNegativeTemperaturesAndAnErrorShareAboveOneAreRejectedByName()
    {
        Assert.Equal("SamplingTemperatures", Assert.Throws<ArgumentOutOfRangeException>(() => (TinyPrm with { SamplingTemperatures = [] }).Validate()).ParamName);
        Assert.Equal("SamplingTemperatures", Assert.Throws<ArgumentOutOfRangeException>(() => (TinyPrm with { SamplingTemperatures = [1.0, -0.5] }).Validate()).ParamName);
        Assert.Equal("PolicyErrorShare", Assert.Throws<ArgumentOutOfRangeException>(() => (TinyPrm with { PolicyErrorShare = 1.5 }).Validate()).ParamName);
        Assert.Equal("CalibrationProblems", Assert.Throws<ArgumentOutOfRangeException>(() => (TinyPrm with { CalibrationProblems = -1 }).Validate()).ParamName);
    }

    [Fact]
    public async Task AnErrorShareOfOneTrainsOnThePolicysWrongSolutionsOnly()
    {
        var examples = await PrmDataset.BuildAsync(new RecordingSampler(), TinyPrm with { PolicyProblems = 12, SamplesPerProblem = 2 });
        var errors = examples.Where(e => e.Source == "policy" && e.Labels.Contains(false)).ToList();
        Assert.Equal(12, errors.Count);

        // Same seed, same initial weights: the first loss depends only on the batch drawn.
        double hard = PrmTrainer.Train(examples, TinyPrm with { PolicyErrorShare = 1 }, Vocabulary).Losses[0];
        double errorsAlone = PrmTrainer.Train(errors, TinyPrm, Vocabulary).Losses[0];
        double alike = PrmTrainer.Train(examples, TinyPrm, Vocabulary).Losses[0];
        Assert.Equal(errorsAlone, hard);
        Assert.NotEqual(alike, hard);
    }

    [Fact]
    public void TheCalibrationFitRecoversAKnownScaling()
    {
        var random = new Random(11);
        var logits = Enumerable.Range(0, 20_000).Select(_ => random.NextDouble() * 16 - 8).ToList();
        var labels = logits.Select(z => random.NextDouble() < 1 / (1 + Math.Exp(-(0.5 * z - 1)))).ToList();

        var (scale, shift) = PrmCalibration.Fit(logits, labels);

        Assert.InRange(scale, 0.45, 0.55);
        Assert.InRange(shift, -1.1, -0.9);
        Assert.Throws<ArgumentException>(() => PrmCalibration.Fit(logits, labels.Take(10).ToList()));
    }

    [Fact]
    public void ApplyingTheCalibrationTransformsEveryScoreLogitAlike()
    {
        using var model = LlamaDecoder.Create(PrmTrainer.ConfigFor(TinyPrm, Vocabulary), seed: 4);
        model.eval();
        using var input = tensor(Vocabulary.Encode("Q: 12 +7\n12+7=19\nA: 19\n").Select(t => (long)t).ToArray()).unsqueeze(0);
        float[] before, after;
        using (no_grad()) before = model.Forward(input)[0, .., 0].data<float>().ToArray();
        PrmCalibration.Apply(model, 0.4, -0.7);
        using (no_grad()) after = model.Forward(input)[0, .., 0].data<float>().ToArray();

        for (int i = 0; i < before.Length; i++) Assert.Equal(0.4 * before[i] - 0.7, after[i], 4);
        using var policy = LlamaDecoder.Create(PolicyTrainer.ConfigFor(new PolicyTrainingOptions { HiddenSize = 32, IntermediateSize = 64, Layers = 2, Heads = 2, KeyValueHeads = 1, ContextLength = 64 }, Vocabulary), seed: 4);
        Assert.Throws<ArgumentException>(() => PrmCalibration.Apply(policy, 1, 0));
    }

    [Fact]
    public void APairedDifferenceCountsWinsAndLossesAndBracketsTheMean()
    {
        var d = PairedDifference.Of([1, 1, 1, 0, 0, 0, 0, -1, 0, 0]);
        Assert.Equal(0.2, d.Mean, 12);
        Assert.Equal(3, d.Wins);
        Assert.Equal(1, d.Losses);
        // Sample standard deviation of these ten differences is sqrt(0.4 - 0.04) * sqrt(10/9).
        double half = 1.96 * Math.Sqrt((0.4 - 0.04) * 10 / 9 / 10);
        Assert.Equal(0.2 - half, d.Low, 12);
        Assert.Equal(0.2 + half, d.High, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedDifference.Of([]));
    }
}
