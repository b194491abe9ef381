using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;

namespace TestTimeScaling.Samples.Train;

/// <summary>One training run from parsed options: check the folders, train, evaluate, write the models and their cards.</summary>
internal sealed record TrainingRun(
    string OutputDirectory, long Seed, int PolicySteps, int PrmSteps, int PrmProblems, int EvalProblems, string? ReusedPolicy, string Command)
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
        OutputFolder.EnsureWritable(PrmDirectory, "--out");
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
        var prmOptions = new PrmTrainingOptions { Steps = PrmSteps, PolicyProblems = PrmProblems, Seed = Seed + 1 };
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
        var prmRun = PrmTrainer.Train(examples, prmOptions, vocabulary, initializeFrom: policy.Decoder,
            progress: new SyncProgress<TrainingProgress>(p => Report(progress, prmPhase, p)));
        prmPhase.Finish();
        EmbeddedModels.Save(prmRun.Model, vocabulary, PrmDirectory);
        prmRun.Model.Dispose();
        using var prmModel = LanguageModel.Load(PrmDirectory);
        var prm = prmModel.CreateProcessVerifier();

        progress.WriteLine($"Evaluating on {EvalProblems} held-out problems, 16 samples each at temperature 0.8...");
        var problems = EvaluationSplits.HeldOut.Where((_, i) => i % Math.Max(1, EvaluationSplits.HeldOut.Count / EvalProblems) == 0).Take(EvalProblems).ToList();
        var evaluation = progress.Start("evaluation", problems.Count);
        var report = await ModelEvaluator.EvaluateAsync(sampler, problems, samples: 16, temperature: 0.8, seed: 1, prm: prm,
            progress: new SyncProgress<int>(n =>
            {
                evaluation.Update(n, $"{n}/{problems.Count} problems");
                progress.WriteLine($"  {n}/{problems.Count}  time left {PhaseProgress.Format(evaluation.TimeLeft)}");
            }));
        evaluation.Finish();
        total.Stop();

        var card = new ModelCardWriter(Command, Seed, policyOptions, prmOptions, policyRun, prmRun, examples, report, total.Elapsed);
        if (policyRun is not null) File.WriteAllText(Path.Combine(PolicyDirectory, "README.md"), card.Policy());
        File.WriteAllText(Path.Combine(PrmDirectory, "README.md"), card.Prm());
        File.WriteAllText(Path.Combine(OutputDirectory, "evaluation.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        progress.WriteLine(card.Table());
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {total.Elapsed:mm\\:ss}; models written to {OutputDirectory}."));
        return 0;
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
