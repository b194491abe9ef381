using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;

namespace TestTimeScaling.Samples.Train;

/// <summary>One training run from parsed options: check the folders, train, evaluate, write the models and their cards.</summary>
/// <remarks>
/// <paramref name="Prm"/> holds the reward model's recipe except its seed (the run's seed + 1); <paramref name="DevSplit"/>
/// evaluates on <see cref="EvaluationSplits.Dev"/> instead of the held-out split, for trying recipes without looking at it;
/// <paramref name="EvaluatedPrm"/> names an already trained reward model to evaluate (with <paramref name="ReusedPolicy"/>) instead
/// of training one: only evaluation.json is written, to <paramref name="OutputDirectory"/>; <paramref name="ContinuedPrm"/> names a
/// trained reward model to go on training (every weight copied, no blocks added) instead of starting from the policy.
/// </remarks>
internal sealed record TrainingRun(
    string OutputDirectory, long Seed, int PolicySteps, PrmTrainingOptions Prm, int EvalProblems, bool DevSplit, string? ReusedPolicy, string Command,
    string? EvaluatedPrm = null, string? ContinuedPrm = null)
{
    private string PolicyDirectory => ReusedPolicy ?? Path.Combine(OutputDirectory, EmbeddedModels.PolicyFolder);

    private string PrmDirectory => Path.Combine(OutputDirectory, EmbeddedModels.PrmFolder);

    /// <summary>
    /// Fails now, not after the training, when a folder the run writes cannot be created or written, or when a reused
    /// policy lacks a file the loader needs.
    /// </summary>
    /// <exception cref="IOException">A folder cannot be written (the message names it).</exception>
    public void CheckFolders()
    {
        OutputFolder.EnsureWritable(OutputDirectory, "--out");
        if (EvaluatedPrm is null || Prm.CalibrationProblems > 0) OutputFolder.EnsureWritable(PrmDirectory, "--out");
        if (EvaluatedPrm is not null)
        {
            if (ReusedPolicy is null) throw new ArgumentException("--evaluate-prm needs --policy: the policy whose samples it scores.");
            foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json" })
                if (!File.Exists(Path.Combine(EvaluatedPrm, file)))
                    throw new IOException($"--evaluate-prm: '{Path.GetFullPath(EvaluatedPrm)}' has no {file}.");
        }
        if (ContinuedPrm is not null)
            foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json" })
                if (!File.Exists(Path.Combine(ContinuedPrm, file)))
                    throw new IOException($"--continue-prm: '{Path.GetFullPath(ContinuedPrm)}' has no {file}.");
        if (ReusedPolicy is null) OutputFolder.EnsureWritable(PolicyDirectory, "--out");
        else
            foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json" })
                if (!File.Exists(Path.Combine(ReusedPolicy, file)))
                    throw new IOException($"--policy: '{Path.GetFullPath(ReusedPolicy)}' has no {file}.");
    }

    /// <summary>Runs every phase; returns the exit code.</summary>
    public async Task<int> ExecuteAsync(PhaseProgress progress)
    {
        var vocabulary = EmbeddedModels.Vocabulary;
        var policyOptions = new PolicyTrainingOptions { Steps = PolicySteps, Seed = Seed };
        var prmOptions = Prm with { Seed = Seed + 1 };
        var total = Stopwatch.StartNew();

        TrainingResult? policyRun = null;
        if (ReusedPolicy is not null)
            progress.WriteLine($"Reusing the policy in {ReusedPolicy}.");
        else
        {
            progress.WriteLine($"Training the policy ({policyOptions.Steps} steps, batch {policyOptions.BatchSize}, seed {Seed})...");
            var phase = progress.Start("policy training", policyOptions.Steps);
            policyRun = PolicyTrainer.Train(policyOptions, vocabulary, new SyncProgress<TrainingProgress>(p => Report(progress, phase, p)));
            phase.Finish();
            EmbeddedModels.Save(policyRun.Model, vocabulary, PolicyDirectory);
            policyRun.Model.Dispose();
        }

        // From here on, everything goes through the public loader, exactly as users load the shipped models.
        using var policy = LanguageModel.Load(PolicyDirectory);
        // The shipped models' reward-model data and evaluation were sampled with torch's multinomial draw; pinning it
        // keeps a retraining byte-identical to them (the engine's default inverse-CDF draw is faster but draws differently).
        using var sampler = policy.CreateSampler(new GenerationEngineOptions { DrawMethod = TokenDrawMethod.Multinomial });
        if (EvaluatedPrm is not null)
        {
            using var trained = LanguageModel.Load(EvaluatedPrm);
            if (prmOptions.CalibrationProblems > 0)
            {
                await CalibrateAsync(progress, sampler, trained.Decoder, trained.Tokenizer, prmOptions);
                EmbeddedModels.Save(trained.Decoder, vocabulary, PrmDirectory);
            }
            var only = await EvaluateAsync(progress, sampler, trained.CreateProcessVerifier());
            File.WriteAllText(Path.Combine(OutputDirectory, "evaluation.json"), JsonSerializer.Serialize(only, new JsonSerializerOptions { WriteIndented = true }));
            progress.WriteLine(ModelCardWriter.TableOf(only));
            return 0;
        }

        progress.WriteLine($"Sampling the policy on {prmOptions.PolicyProblems} training problems for reward-model data...");
        var data = progress.Start("reward-model data", prmOptions.PolicyProblems);
        var examples = await PrmDataset.BuildAsync(sampler, prmOptions, new SyncProgress<int>(n =>
        {
            data.Update(n, $"{n}/{prmOptions.PolicyProblems} problems");
            progress.WriteLine($"  {n} problems  time left {PhaseProgress.Format(data.TimeLeft)}");
        }));
        data.Finish();
        progress.WriteLine($"  {examples.Count} solutions, {examples.Sum(e => e.Labels.Count)} steps, {examples.Sum(e => e.Labels.Count(l => !l))} wrong steps");

        progress.WriteLine($"Training the process reward model ({prmOptions.Steps} steps)...");
        var prmPhase = progress.Start("reward-model training", prmOptions.Steps);
        using var continued = ContinuedPrm is null ? null : LanguageModel.Load(ContinuedPrm);
        if (continued is not null && !(continued.Config.IsTokenClassifier && continued.Config.NumLabels == 1))
            throw new ArgumentException($"--continue-prm: '{ContinuedPrm}' is a '{continued.Config.Architecture}' with {continued.Config.NumLabels} labels, not a one-label reward model.");
        var prmRun = PrmTrainer.Train(examples, continued is null ? prmOptions : prmOptions with { ExtraLayers = 0 }, vocabulary,
            initializeFrom: continued?.Decoder ?? policy.Decoder,
            progress: new SyncProgress<TrainingProgress>(p => Report(progress, prmPhase, p)));
        prmPhase.Finish();
        if (prmOptions.CalibrationProblems > 0) await CalibrateAsync(progress, sampler, prmRun.Model, policy.Tokenizer, prmOptions);
        EmbeddedModels.Save(prmRun.Model, vocabulary, PrmDirectory);
        prmRun.Model.Dispose();
        using var prmModel = LanguageModel.Load(PrmDirectory);
        var prm = prmModel.CreateProcessVerifier();

        var report = await EvaluateAsync(progress, sampler, prm);
        total.Stop();

        var card = DevSplit
            ? new ModelCardWriter(Command, Seed, policyOptions, prmOptions, policyRun, prmRun, examples, report, total.Elapsed, "The Dev split (`EvaluationSplits.Dev`, version {0}, never trained on; a development run, not a held-out evaluation)")
            : new ModelCardWriter(Command, Seed, policyOptions, prmOptions, policyRun, prmRun, examples, report, total.Elapsed);
        if (policyRun is not null) File.WriteAllText(Path.Combine(PolicyDirectory, "README.md"), card.Policy());
        File.WriteAllText(Path.Combine(PrmDirectory, "README.md"), card.Prm() + (ContinuedPrm is null ? "" :
            $"{Environment.NewLine}Note: this run went on training the reward model in '{ContinuedPrm}' (every weight copied) rather than starting from the policy; the training line above describes only the continuation.{Environment.NewLine}"));
        File.WriteAllText(Path.Combine(OutputDirectory, "evaluation.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        progress.WriteLine(card.Table());
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {total.Elapsed:mm\\:ss}; models written to {OutputDirectory}."));
        return 0;
    }

    /// <summary>Fits the Platt scaling on the policy's samples of <see cref="PrmTrainingOptions.CalibrationProblems"/> training problems and folds it into the score head.</summary>
    private static async Task CalibrateAsync(PhaseProgress progress, ISampler sampler, LlamaDecoder model, ITextTokenizer tokenizer, PrmTrainingOptions options)
    {
        progress.WriteLine($"Calibrating the reward model on {options.CalibrationProblems} training problems, 8 samples each at temperature 0.8...");
        var (scale, shift) = await PrmCalibration.FitAsync(sampler, new ProcessRewardVerifier(model, tokenizer), options.CalibrationProblems, seed: options.Seed);
        PrmCalibration.Apply(model, scale, shift);
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  score logit x {scale:F4} + {shift:F4}"));
    }

    /// <summary>The evaluation of the policy's samples and the reward model on <see cref="EvalProblems"/> problems of the chosen split.</summary>
    private async Task<EvaluationReport> EvaluateAsync(PhaseProgress progress, ISampler sampler, ProcessRewardVerifier prm)
    {
        var split = DevSplit ? EvaluationSplits.Dev : EvaluationSplits.HeldOut;
        int count = Math.Min(EvalProblems, split.Count);
        progress.WriteLine($"Evaluating on {count} {(DevSplit ? "Dev" : "held-out")} problems, 16 samples each at temperature 0.8...");
        var problems = split.Where((_, i) => i % Math.Max(1, split.Count / count) == 0).Take(count).ToList();
        var evaluation = progress.Start("evaluation", problems.Count);
        var report = await ModelEvaluator.EvaluateAsync(sampler, problems, samples: 16, temperature: 0.8, seed: 1, prm: prm,
            progress: new SyncProgress<int>(n =>
            {
                evaluation.Update(n, $"{n}/{problems.Count} problems");
                progress.WriteLine($"  {n}/{problems.Count}  time left {PhaseProgress.Format(evaluation.TimeLeft)}");
            }));
        evaluation.Finish();
        return report;
    }

    private static void Report(PhaseProgress progress, PhaseProgress.Phase phase, TrainingProgress p)
    {
        phase.Update(p.Step, string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps}  loss {p.Loss:F4}"));
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  step {p.Step,5}/{p.TotalSteps}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {p.Elapsed:mm\\:ss}  time left {PhaseProgress.Format(phase.TimeLeft)}"));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
