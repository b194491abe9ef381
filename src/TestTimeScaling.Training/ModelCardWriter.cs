using System.Globalization;
using System.Text;

namespace TestTimeScaling.Training;

/// <summary>Writes the model cards (README.md) of the shipped models from a training run's own figures.</summary>
public sealed class ModelCardWriter(
    string command, long seed, PolicyTrainingOptions policyOptions, PrmTrainingOptions prmOptions,
    TrainingResult policyRun, TrainingResult prmRun, IReadOnlyList<LabeledSolution> prmExamples,
    EvaluationReport report, TimeSpan totalTime)
{
    private static string Pct(double? value) => value is { } v ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>The evaluation table (markdown).</summary>
    public string Table()
    {
        var b = new StringBuilder();
        b.AppendLine($"| level | problems | single sample | majority@{report.SamplesPerProblem} | pass@{report.SamplesPerProblem} | PRM-weighted@{report.SamplesPerProblem} | PRM best-of-{report.SamplesPerProblem} |");
        b.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var l in report.Levels.Where(l => l.Level > 0).Append(report.Overall))
            b.AppendLine($"| {(l.Level == 0 ? "all" : l.Level.ToString(CultureInfo.InvariantCulture))} | {l.Problems} | {Pct(l.SingleSample)} | {Pct(l.Majority)} | {Pct(l.PassAtN)} | {Pct(l.PrmWeighted)} | {Pct(l.PrmBest)} |");
        if (report.StepAuroc is { } auroc) b.AppendLine().AppendLine($"Step-level AUROC of the PRM on these samples: {auroc.ToString("F3", CultureInfo.InvariantCulture)}.");
        return b.ToString();
    }

    private string Common() =>
        $"""
        ## How it was made
        - Command: `{command}` (whole run, both models and this evaluation: {totalTime:mm\:ss} on the training machine).
        - Seed: {seed}. The training program, the task generator and this card are in the repository: `src/TestTimeScaling.Training`, `src/TestTimeScaling.Arithmetic`, `samples/TestTimeScaling.Samples.Train`.
        - Tokenizer: one token per character of `{EmbeddedModels.Vocabulary.Alphabet.Replace("\n", "\\n", StringComparison.Ordinal)}` plus `<pad>`=0, `<s>`=1, `</s>`=2, written as a Hugging Face byte-level BPE `tokenizer.json` without merges.

        ## Evaluation
        The held-out split (`EvaluationSplits.HeldOut`, version {Arithmetic.EvaluationSplits.SplitVersion}, never trained on): {report.Problems} problems, {report.SamplesPerProblem} samples each at temperature {report.Temperature.ToString(CultureInfo.InvariantCulture)}.

        {Table()}
        """;

    /// <summary>The policy's card.</summary>
    public string Policy() =>
        $"""
        # arithmetic-policy

        A {policyOptions.Layers}-layer Llama (`LlamaForCausalLM`, width {policyOptions.HiddenSize}, {policyOptions.Heads} heads / {policyOptions.KeyValueHeads} key-value heads, SwiGLU {policyOptions.IntermediateSize}, tied embeddings, {policyRun.ParameterCount:N0} parameters, float32) that solves the repository's multi-step arithmetic task one step per line, ending with `A: <answer>`. It is imperfect on purpose: test-time scaling needs room to help.

        - Training: {policyOptions.Steps} AdamW steps of {policyOptions.BatchSize} fresh problems (levels {policyOptions.MinLevel}-{policyOptions.MaxLevel}), learning rate {policyOptions.LearningRate} with {policyOptions.WarmupSteps} warm-up steps and cosine decay, loss on the solution tokens only, label smoothing {policyOptions.LabelSmoothing.ToString(CultureInfo.InvariantCulture)} (so that samples slip independently instead of repeating one confident mistake); {policyRun.Elapsed:mm\:ss}; final loss {policyRun.Losses.TakeLast(50).Average().ToString("F4", CultureInfo.InvariantCulture)} (mean of the last 50 steps).

        {Common()}
        """;

    /// <summary>The reward model's card.</summary>
    public string Prm() =>
        $"""
        # arithmetic-prm

        A process reward model: a {prmRun.Model.Config.NumHiddenLayers}-layer Llama with a one-label `score` head (`LlamaForTokenClassification`, width {prmRun.Model.Config.HiddenSize}, {prmRun.ParameterCount:N0} parameters). Its embeddings and first {policyOptions.Layers} blocks start as a copy of the policy's, with {prmOptions.ExtraLayers} blocks added on top. It reads `<s>` + problem + solution and gives, at the last token of each step (the `\n`), sigmoid(score) = the probability that the step and every step before it are right.

        - Data: {prmExamples.Count} labeled solutions ({prmExamples.Count(e => e.Source == "policy")} sampled from the policy at temperature {prmOptions.SamplingTemperature.ToString(CultureInfo.InvariantCulture)} on {prmOptions.PolicyProblems} training problems, {prmExamples.Count(e => e.Source == "gold")} gold, {prmExamples.Count(e => e.Source == "injected")} gold with one injected error), {prmExamples.Sum(e => e.Labels.Count)} steps of which {prmExamples.Sum(e => e.Labels.Count(l => !l))} wrong; labels from `StepLabeler` (a step is right when its own result is right given the lines before it and every earlier step is right).
        - Training: {prmOptions.Steps} AdamW steps of {prmOptions.BatchSize} solutions, learning rate {prmOptions.LearningRate}, binary cross-entropy at every solution token against "everything up to here is right" (1 before the first error, 0 from it; at a step's newline this is the step label); {prmRun.Elapsed:mm\:ss}; final loss {prmRun.Losses.TakeLast(50).Average().ToString("F4", CultureInfo.InvariantCulture)}.

        {Common()}
        """;
}
