using TorchSharp;
using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;
using static TorchSharp.torch;

namespace TestTimeScaling.Training;

/// <summary>
/// Trains the process reward model: a small Llama with a one-label <c>score</c> head, read at each
/// step's last token and trained with binary cross-entropy against the step labels.
/// </summary>
public static class PrmTrainer
{
    /// <summary>The reward model's configuration (Hugging Face <c>LlamaForTokenClassification</c>, one label).</summary>
    public static ModelConfig ConfigFor(PrmTrainingOptions options, CharacterVocabulary vocabulary) =>
        PolicyTrainer.SmallLlama(vocabulary, options.HiddenSize, options.IntermediateSize, options.Layers, options.Heads, options.KeyValueHeads, options.ContextLength)
        with { Architecture = "LlamaForTokenClassification", TieWordEmbeddings = false, NumLabels = 1 };

    /// <summary>The configuration of a reward model that starts from <paramref name="policy"/>: its trunk plus <paramref name="extraLayers"/> blocks, a one-label score head.</summary>
    public static ModelConfig ConfigFrom(ModelConfig policy, int extraLayers) =>
        policy with { Architecture = "LlamaForTokenClassification", NumLabels = 1, TieWordEmbeddings = false, NumHiddenLayers = policy.NumHiddenLayers + extraLayers };

    /// <summary>
    /// Trains on labeled solutions, drawing batches with the seeded generator; a <see cref="PrmTrainingOptions.SyntheticShare"/>
    /// of each batch is fresh generated problems instead. With
    /// <paramref name="initializeFrom"/>, the trunk starts as a copy of that policy (as reward models are
    /// usually fine-tuned from their policy: judging a step needs the arithmetic the policy already knows)
    /// and the shape options are ignored; otherwise it starts from random weights.
    /// </summary>
    public static TrainingResult Train(IReadOnlyList<LabeledSolution> examples, PrmTrainingOptions options, CharacterVocabulary vocabulary,
        LlamaDecoder? initializeFrom = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (examples.Count == 0) throw new ArgumentException("No training examples.", nameof(examples));
        var encoded = examples.Select(e => Encode(e, vocabulary)).ToList();
        var config = initializeFrom is null ? ConfigFor(options, vocabulary) : ConfigFrom(initializeFrom.Config, options.ExtraLayers);
        var model = LlamaDecoder.Create(config, options.Seed);
        if (initializeFrom is not null) CopyTrunk(initializeFrom, model, options.FreezeTrunk);
        var random = new SeededRandom(options.Seed);
        using var fresh = PrmDataset.Synthetic(options.Seed * 31 + 7).Select(e => Encode(e, vocabulary)).GetEnumerator();
        // The policy's own wrong solutions, drawn at PolicyErrorShare of the built-data part of each batch.
        var policyErrors = examples.Select((e, i) => (e, i)).Where(x => x.e.Source == "policy" && x.e.Labels.Contains(false)).Select(x => encoded[x.i]).ToList();
        int built = options.BatchSize - options.FreshPerBatch;
        int hardPerBatch = policyErrors.Count == 0 ? 0 : (int)Math.Round(built * options.PolicyErrorShare);
        var schedule = new CosineSchedule(options.LearningRate, options.WarmupSteps, options.Steps);
        return TrainingLoop.Run(model, schedule, options.WeightDecay, _ =>
        {
            var batch = Enumerable.Range(0, options.BatchSize).Select(i =>
            {
                if (i >= options.BatchSize - hardPerBatch) return policyErrors[random.Next(policyErrors.Count)];
                if (i >= options.FreshPerBatch) return encoded[random.Next(encoded.Count)];
                fresh.MoveNext();
                return fresh.Current;
            }).ToList();
            return Loss(model, batch, vocabulary.PadTokenId, options.LanguageModelingWeight);
        }, progress, cancellationToken);
    }

    /// <summary>
    /// Copies the policy's embeddings, blocks and final norm, and with <paramref name="freeze"/> stops their
    /// gradients. The added blocks start with zero output projections, so they pass the policy's residual
    /// stream through unchanged until training shapes them.
    /// </summary>
    private static void CopyTrunk(LlamaDecoder from, LlamaDecoder to, bool freeze)
    {
        using var noGrad = no_grad();
        var source = from.StateDict();
        // StateDict's tensors are the parameters themselves, so switching their gradient off freezes them.
        foreach (var (name, target) in to.StateDict())
        {
            if (source.TryGetValue(name, out var weights))
            {
                target.copy_(weights);
                if (freeze) target.requires_grad = false;
            }
            else if (name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal)) target.zero_();
        }
    }

    /// <summary>
    /// Token ids and per-position targets. Every solution token is labelled "everything up to here is right":
    /// 1 before the first error, 0 from it on. At a step's last token this is exactly the step label the
    /// verifier reads; the dense labels put the signal where a mistake happens, which a small model learns
    /// far faster than from one label per step (checked: with step-end labels only, the loss stayed at the
    /// base rate for hundreds of steps).
    /// </summary>
    public static (int[] Input, long[] Targets) Encode(LabeledSolution example, CharacterVocabulary vocabulary)
    {
        var (tokens, ends) = StepTokens.Encode(vocabulary, example.Prompt, example.Steps, addBos: true);
        var targets = Enumerable.Repeat(SequenceBatch.Ignore, tokens.Length).ToArray();
        // One token per character: solution character j sits at token solutionStart + j.
        int solutionLength = example.Steps.Sum(s => s.Length);
        int solutionStart = tokens.Length - solutionLength;
        for (int j = 0; j < solutionLength; j++)
            targets[solutionStart + j] = example.FirstErrorOffset is { } error && j >= error ? 0 : 1;
        for (int i = 0; i < ends.Length; i++)
            if (targets[ends[i]] != (example.Labels[i] ? 1 : 0))
                throw new InvalidOperationException($"Dense labels disagree with step {i}'s label in '{string.Concat(example.Steps)}'.");
        return (tokens, targets);
    }

    private static Tensor Loss(LlamaDecoder model, List<(int[] Input, long[] Targets)> batch, int padId, double languageModelingWeight)
    {
        var (inputs, targets) = SequenceBatch.Collate(batch.Select(b => b.Input).ToList(), batch.Select(b => b.Targets).ToList(), padId);
        var (hidden, output) = model.ForwardWithHidden(inputs);
        var logits = output[.., .., 0];
        // Scalars held for the calls that read them (a temporary one can be freed by a collection mid-call).
        using var ignore = SequenceBatch.Ignore.ToScalar();
        using var right = 1.ToScalar();
        using var weight = languageModelingWeight.ToScalar();
        var mask = targets.ne(ignore);
        var loss = nn.functional.binary_cross_entropy_with_logits(logits.masked_select(mask), targets.masked_select(mask).to(ScalarType.Float32));
        if (languageModelingWeight == 0) return loss;

        // Next-token prediction where the next token is a right solution token (its dense label is 1): the trunk
        // keeps learning to write correct steps, never wrong ones.
        var next = inputs[.., 1..];
        var learn = targets[.., 1..].eq(right);
        var nextLogits = model.EmbeddingLogits(hidden[.., ..^1]);
        var languageModeling = nn.functional.cross_entropy(nextLogits[learn], next[learn]);
        using var one = 1.ToScalar(); // TorchSharp's + would pass a temporary alpha of 1
        return loss.add(weight * languageModeling, one);
    }
}
