using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;
using static TorchSharp.torch;

namespace TestTimeScaling.Training;

/// <summary>
/// Trains the policy: a small Llama that reads "Q: ..." and writes the solution one step per line,
/// learning only the solution tokens (the prompt is masked out of the loss). Problems are drawn fresh
/// every step from the generator, never from the evaluation splits.
/// </summary>
public static class PolicyTrainer
{
    /// <summary>The model configuration the options describe.</summary>
    public static ModelConfig ConfigFor(PolicyTrainingOptions options, CharacterVocabulary vocabulary) =>
        SmallLlama(vocabulary, options.HiddenSize, options.IntermediateSize, options.Layers, options.Heads, options.KeyValueHeads, options.ContextLength);

    /// <summary>A small character-level Llama causal LM with tied embeddings (the shape both trainers start from).</summary>
    internal static ModelConfig SmallLlama(CharacterVocabulary vocabulary, int hidden, int intermediate, int layers, int heads, int kvHeads, int context) => new()
    {
        ModelType = "llama",
        Architecture = "LlamaForCausalLM",
        VocabSize = vocabulary.VocabSize,
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        HeadDim = hidden / heads,
        MaxPositionEmbeddings = context,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        BosTokenId = vocabulary.BosTokenId,
        EosTokenIds = vocabulary.EosTokenIds,
        PadTokenId = vocabulary.PadTokenId,
    };

    /// <summary>Runs the training loop.</summary>
    public static TrainingResult Train(PolicyTrainingOptions options, CharacterVocabulary vocabulary,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var model = LlamaDecoder.Create(ConfigFor(options, vocabulary), options.Seed);
        var schedule = new CosineSchedule(options.LearningRate, options.WarmupSteps, options.Steps);
        return TrainingLoop.Run(model, schedule, options.WeightDecay, step =>
        {
            // One level per batch, cycling: similar lengths waste less compute on padding than mixed batches.
            int level = options.MinLevel + step % (options.MaxLevel - options.MinLevel + 1);
            var problems = ProblemGenerator.Generate(options.BatchSize, unchecked((int)(options.Seed * 1_000_003 + step)), level);
            return Loss(model, problems, vocabulary, options.LabelSmoothing);
        }, progress, cancellationToken);
    }

    /// <summary>Token ids of one training example and the targets that teach the solution and the EOS.</summary>
    public static (int[] Input, long[] Targets) Example(ArithmeticProblem problem, CharacterVocabulary vocabulary)
    {
        var prompt = vocabulary.Encode(problem.Prompt);
        var solution = vocabulary.Encode(SolutionWriter.Write(problem));
        int[] sequence = [vocabulary.BosTokenId!.Value, .. prompt, .. solution, vocabulary.EosTokenId];
        var input = sequence[..^1];
        var targets = new long[input.Length];
        for (int t = 0; t < input.Length; t++)
            targets[t] = t + 1 > prompt.Count ? sequence[t + 1] : SequenceBatch.Ignore; // predict only what follows the prompt
        return (input, targets);
    }

    private static Tensor Loss(LlamaDecoder model, IReadOnlyList<ArithmeticProblem> problems, CharacterVocabulary vocabulary, double labelSmoothing)
    {
        var examples = problems.Select(p => Example(p, vocabulary)).ToList();
        var (inputs, targets) = SequenceBatch.Collate(examples.Select(e => e.Input).ToList(), examples.Select(e => e.Targets).ToList(), vocabulary.PadTokenId);
        var logits = model.Forward(inputs);
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.view(-1), ignore_index: SequenceBatch.Ignore, label_smoothing: labelSmoothing);
    }
}
