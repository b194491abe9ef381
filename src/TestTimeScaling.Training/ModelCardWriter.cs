using System.Globalization;
using System.Text;

namespace TestTimeScaling.Training;

/// <summary>
/// Writes the model cards (README.md) of the shipped models from a training run's own figures. The policy's card
/// needs <c>policyRun</c>; it is null when the run reused an already trained policy and trained only the reward model.
/// </summary>
public sealed class ModelCardWriter(
    string command, long seed, PolicyTrainingOptions policyOptions, PrmTrainingOptions prmOptions,
    TrainingResult? policyRun, TrainingResult prmRun, IReadOnlyList<LabeledSolution> prmExamples,
    EvaluationReport report, TimeSpan totalTime, string splitDescription = "The held-out split (`EvaluationSplits.HeldOut`, version {0}, never trained on)")
{
    private static string Pct(double? value) => value is { } v ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>
    /// The evaluation table (markdown); the reward model's columns only with <paramref name="withRewardModel"/>, so
    /// the policy's card stays true when the reward model alone is retrained.
    /// </summary>
    public string Table(bool withRewardModel = true) => TableOf(report, withRewardModel);

    /// <summary>The evaluation table (markdown) of <paramref name="report"/>; the reward model's columns only with <paramref name="withRewardModel"/>.</summary>
    public static string TableOf(EvaluationReport report, bool withRewardModel = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        int n = report.SamplesPerProblem;
        var b = new StringBuilder();
        b.AppendLine($"| level | problems | single sample | majority@{n} | pass@{n} |" + (withRewardModel ? $" PRM-weighted@{n} | PRM best-of-{n} |" : ""));
        b.AppendLine("|---|---|---|---|---|" + (withRewardModel ? "---|---|" : ""));
        foreach (var l in report.Levels.Where(l => l.Level > 0).Append(report.Overall))
            b.AppendLine($"| {(l.Level == 0 ? "all" : l.Level.ToString(CultureInfo.InvariantCulture))} | {l.Problems} | {Pct(l.SingleSample)} | {Pct(l.Majority)} | {Pct(l.PassAtN)} |"
                + (withRewardModel ? $" {Pct(l.PrmWeighted)} | {Pct(l.PrmBest)} |" : ""));
        if (withRewardModel && report.StepAuroc is { } auroc) b.AppendLine().AppendLine($"Step-level AUROC of the PRM on these samples: {auroc.ToString("F3", CultureInfo.InvariantCulture)}.");
        if (withRewardModel && report.Curve is { } curve)
        {
            b.AppendLine().AppendLine("Against the number of samples N (each N averaged over the disjoint groups of N samples of every problem; the interval is 95% over problems):").AppendLine();
            b.AppendLine("| N | majority@N | PRM-weighted@N | PRM best-of-N | best-of-N interval |").AppendLine("|---|---|---|---|---|");
            foreach (var p in curve)
                b.AppendLine($"| {p.N} | {Pct(p.Majority)} | {Pct(p.PrmWeighted)} | {Pct(p.PrmBest)} | {Pct(p.PrmBestLow)} to {Pct(p.PrmBestHigh)} |");
        }
        if (withRewardModel && report.WeightedMinusMajority is { } d)
            b.AppendLine().AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"PRM-weighted@{n} minus majority@{n}, paired by problem: {100 * d.Mean:+0.0;-0.0;0.0} points (95% interval {100 * d.Low:+0.0;-0.0;0.0} to {100 * d.High:+0.0;-0.0;0.0}; {d.Wins} problems won, {d.Losses} lost)."));
        if (withRewardModel && report.BestOfNMisses is { Count: > 0 } misses)
            b.AppendLine().AppendLine($"Best-of-{n} chose a wrong solution although one was right in {misses.Values.Sum()} problems; where the chosen one goes wrong: "
                + string.Join(", ", misses.Select(m => $"{m.Key} {m.Value}")) + ".");
        return b.ToString();
    }

    private string Common(bool withRewardModel) =>
        $"""
        ## How it was made
        - Command: `{command}` ({(policyRun is null ? "the policy reused, not retrained; this model and this evaluation" : "whole run, both models and this evaluation")}: {totalTime:mm\:ss} on the training machine).
        - Seed: {seed}. The training program, the task generator and this card are in the repository: `src/TestTimeScaling.Training`, `src/TestTimeScaling.Arithmetic`, `samples/TestTimeScaling.Samples.Train`.
        - Tokenizer: one token per character of `{EmbeddedModels.Vocabulary.Alphabet.Replace("\n", "\\n", StringComparison.Ordinal)}` plus `<pad>`=0, `<s>`=1, `</s>`=2, written as a Hugging Face byte-level BPE `tokenizer.json` without merges.

        ## Evaluation
        {string.Format(CultureInfo.InvariantCulture, splitDescription, Arithmetic.EvaluationSplits.SplitVersion)}: {report.Problems} problems, {report.SamplesPerProblem} samples each at temperature {report.Temperature.ToString(CultureInfo.InvariantCulture)}.

        {Table(withRewardModel)}
        """;

    /// <summary>The policy's card.</summary>
    /// <exception cref="InvalidOperationException">When the run did not train the policy.</exception>
    public string Policy() => policyRun is null ? throw new InvalidOperationException("This run reused a trained policy; its card is the one written when it was trained.") :
        $"""
        # arithmetic-policy

        A {policyOptions.Layers}-layer Llama (`LlamaForCausalLM`, width {policyOptions.HiddenSize}, {policyOptions.Heads} heads / {policyOptions.KeyValueHeads} key-value heads, SwiGLU {policyOptions.IntermediateSize}, tied embeddings, {policyRun.ParameterCount:N0} parameters, float32) that solves the repository's multi-step arithmetic task one step per line, ending with `A: <answer>`. It is imperfect on purpose: test-time scaling needs room to help.

        - Training: {policyOptions.Steps} AdamW steps of {policyOptions.BatchSize} fresh problems (levels {policyOptions.MinLevel}-{policyOptions.MaxLevel}), learning rate {policyOptions.LearningRate} with {policyOptions.WarmupSteps} warm-up steps and cosine decay, loss on the solution tokens only, label smoothing {policyOptions.LabelSmoothing.ToString(CultureInfo.InvariantCulture)} (so that samples slip independently instead of repeating one confident mistake); {policyRun.Elapsed:mm\:ss}; final loss {policyRun.Losses.TakeLast(50).Average().ToString("F4", CultureInfo.InvariantCulture)} (mean of the last 50 steps).

        {Common(withRewardModel: false)}
        """;

    /// <summary>The reward model's card.</summary>
    public string Prm() =>
        $"""
        # arithmetic-prm

        A process reward model: a {prmRun.Model.Config.NumHiddenLayers}-layer Llama with a one-label `score` head (`LlamaForTokenClassification`, width {prmRun.Model.Config.HiddenSize}, {prmRun.ParameterCount:N0} parameters). Its embeddings and first {policyOptions.Layers} blocks start as a copy of the policy's, with {prmOptions.ExtraLayers} blocks added on top. It reads `<s>` + problem + solution and gives, at the last token of each step (the `\n`), sigmoid(score) = the probability that the step and every step before it are right.

        - Data: {prmExamples.Count} labeled solutions ({prmExamples.Count(e => e.Source == "policy")} sampled from the policy at temperature {string.Join(", ", prmOptions.SamplingTemperatures.Select(t => t.ToString(CultureInfo.InvariantCulture)))} on {prmOptions.PolicyProblems} training problems, {prmExamples.Count(e => e.Source == "gold")} gold, {prmExamples.Count(e => e.Source == "injected")} gold with one injected error), {prmExamples.Sum(e => e.Labels.Count)} steps of which {prmExamples.Sum(e => e.Labels.Count(l => !l))} wrong; besides, {prmOptions.FreshPerBatch} of the {prmOptions.BatchSize} solutions in every batch come from freshly generated problems (a gold solution or one with an injected error: {prmOptions.FreshPerBatch * prmOptions.Steps:N0} over the run), so that the model cannot get by on memorized problems{(prmOptions.PolicyErrorShare > 0 ? $"; of the other {prmOptions.BatchSize - prmOptions.FreshPerBatch}, {prmOptions.PolicyErrorShare.ToString(CultureInfo.InvariantCulture)} are drawn from the policy's own wrong solutions (hard negatives), the rest from all built solutions alike" : "")}. Labels from `StepLabeler` (a step is right when its own result is right given the lines before it and every earlier step is right); a last line cut off without its newline is closed with one, as the verifier does.
        - Training: {prmOptions.Steps} AdamW steps of {prmOptions.BatchSize} solutions, learning rate {prmOptions.LearningRate}, the policy's blocks {(prmOptions.FreezeTrunk ? "frozen" : "fine-tuned too")}; binary cross-entropy at every solution token against "everything up to here is right" (1 before the first error, 0 from it; at a step's newline this is the step label){(prmOptions.LanguageModelingWeight > 0 ? $", plus {prmOptions.LanguageModelingWeight.ToString(CultureInfo.InvariantCulture)} x next-token cross-entropy on the right solution tokens through the embedding matrix (training only, so the trunk keeps learning the arithmetic it must check)" : "")}; {prmRun.Elapsed:mm\:ss}; final loss {prmRun.Losses.TakeLast(50).Average().ToString("F4", CultureInfo.InvariantCulture)}.

        {Common(withRewardModel: true)}
        """;
}
