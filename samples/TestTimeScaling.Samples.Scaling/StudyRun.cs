using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;
using static TorchSharp.torch;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>One run of the study from options to files: load the models, run the cells, print and write the results.</summary>
public static class StudyRun
{
    /// <summary>The command that runs the study with its defaults, as the README gives it.</summary>
    public const string Command = "dotnet run -c Release --project samples/TestTimeScaling.Samples.Scaling";

    /// <summary>Runs the study; returns the process exit code (0 done, 130 interrupted).</summary>
    /// <exception cref="OptionsException">The models folder or the device named by the options cannot be used.</exception>
    public static async Task<int> RunAsync(ScalingOptions options, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        // Before minutes of work: the output folder must be writable (a wrong --out fails now, not at the end).
        string outDir = OutputFolder.EnsureWritable(options.OutputDirectory, "--out");
        string models = ResolveModels(options.ModelsDirectory);
        var device = ResolveDevice(options.Device);
        var load = new ModelLoadOptions { Device = device };

        // The embedded models are tiny: a decode step is a few dozen small ops, which one torch thread runs faster than
        // two (measured on this project's 2-core machines: 109 s against 190 s for 40 problems of the default run).
        // The cores go to lanes instead: each lane solves its own problem on its own copy of both models.
        set_num_threads(1);
        var lanes = new List<(LanguageModel Policy, LanguageModel Prm)>(options.Concurrency);
        try
        {
            for (int k = 0; k < options.Concurrency; k++)
                lanes.Add((LanguageModel.Load(Path.Combine(models, EmbeddedModels.PolicyFolder), load), LanguageModel.Load(Path.Combine(models, EmbeddedModels.PrmFolder), load)));
            return await RunAsync(options, args, cancellationToken, lanes, models, device, outDir, started, total).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (policy, prm) in lanes)
            {
                policy.Dispose();
                prm.Dispose();
            }
        }
    }

    private static async Task<int> RunAsync(ScalingOptions options, IReadOnlyList<string> args, CancellationToken cancellationToken,
        IReadOnlyList<(LanguageModel Policy, LanguageModel Prm)> models, string modelsDir, Device? device, string outDir, DateTimeOffset started, Stopwatch total)
    {
        var (policy, prmModel) = models[0];
        var problems = ProblemSelection.Evenly(options.Problems);
        // The step-level searches on a few problems are kept for the HTML report (a copy of each finished result).
        var recorder = new TraceRecorder(options.TraceProblems, TraceRecorder.PickBudget(options.TraceBudget, options.Budgets), problems.Count);
        var lanes = models.Select(m => new StudyLane(
            () => m.Policy.CreateSampler(),
            m.Prm.CreateProcessVerifier(new ProcessRewardOptions { Aggregation = options.Aggregation }))).ToList();
        var runner = new ScalingRunner(lanes, options)
        {
            Solved = options.TraceProblems > 0 ? recorder.Observe : null,
            Retried = (problem, error) => Console.Error.WriteLine($"note: {problem.Id} failed inside libtorch ({error.Message.Split('\n')[0]}); solving it again (same seed, same result)."),
        };
        var cells = runner.Cells();

        Console.WriteLine($"Models: {modelsDir} ({Parameters(policy):N0}-parameter policy, {Parameters(prmModel):N0}-parameter PRM) on {device?.ToString() ?? "cpu"}, {(options.Concurrency == 1 ? "one problem at a time" : $"{options.Concurrency} problems side by side (lanes with their own copy of both models)")}");
        Console.WriteLine($"Problems: {problems.Count} held-out, {string.Join(", ", problems.GroupBy(p => p.Level).Select(g => $"{g.Count()} of level {g.Key}"))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Strategies: {string.Join(", ", options.Strategies)}; budgets {string.Join(", ", options.Budgets)}; {cells.Count} runs; temperature {options.Temperature}, max {options.MaxNewTokens} new tokens, seed {options.Seed}, PRM aggregation {options.Aggregation}"));
        Console.WriteLine();

        var results = await StudyProgress.RunAsync([.. cells.Select(c => (c.Strategy.Name, c.Budget))], problems.Count,
            progress => runner.RunAsync(problems, progress, cancellationToken)).ConfigureAwait(false);
        bool completed = !cancellationToken.IsCancellationRequested && results.Count == cells.Count && results.All(r => r.Problems.Count == problems.Count);

        Console.WriteLine();
        if (results.Count == 0)
        {
            Console.WriteLine("Nothing finished; no results written.");
            return completed ? 0 : 130;
        }
        Console.WriteLine(ResultTable.Format(results));
        Console.WriteLine("accuracy: share of problems answered correctly, 95% percentile bootstrap over problems; gen tokens, fwd passes");
        Console.WriteLine("and PRM calls: means per problem; wall s: the whole strategy-budget run. Budget N: samples for the parallel");
        Console.WriteLine("strategies; for beam search, DVTS and particle filtering, N rows a round (about N solutions' worth of tokens).");
        if (results.Any(r => StrategyCatalog.Find(r.Strategy) is { AllocatesAcrossProblems: true }))
            Console.WriteLine("allocator rows: one allocation over all problems, within the total tokens majority@N generated over them.");
        Console.WriteLine();
        var highlights = Highlights.Compute(results, (int)options.Seed);
        if (highlights.Count > 0)
        {
            Console.WriteLine("Highlights (paired differences over the same problems and seeds):");
            foreach (var line in highlights) Console.WriteLine($"  {line}");
            Console.WriteLine();
        }

        var report = new RunReport(
            string.Join(' ', new[] { Command }.Concat(args.Count > 0 ? ["--", .. args] : Array.Empty<string>())),
            started, total.Elapsed.TotalSeconds, completed, options, modelsDir, device?.ToString() ?? "cpu", highlights, results);
        var (json, csv) = ResultFiles.Write(report, outDir);
        Console.WriteLine($"Wrote {json}");
        Console.WriteLine($"      {csv}");
        if (options.TraceProblems > 0) Console.WriteLine($"      {ResultFiles.WriteTraces(recorder.Searches, outDir)}");
        foreach (var path in RunPresentation.Write(report, recorder.Searches, outDir)) Console.WriteLine($"      {path}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(completed ? "Done" : "Interrupted")} in {total.Elapsed:mm\\:ss}."));
        return completed ? 0 : 130;
    }

    private static string ResolveModels(string? given)
    {
        string models;
        if (given is null)
        {
            try { models = EmbeddedModels.Locate(); }
            catch (DirectoryNotFoundException e) { throw new OptionsException($"{e.Message} Pass --models DIR."); }
        }
        else models = Path.GetFullPath(given);
        foreach (var folder in new[] { EmbeddedModels.PolicyFolder, EmbeddedModels.PrmFolder })
            if (!Directory.Exists(Path.Combine(models, folder)))
                throw new OptionsException($"the models folder '{models}' has no '{folder}' subfolder{(given is null ? "" : " (--models)")}.");
        return models;
    }

    private static Device? ResolveDevice(string name)
    {
        if (name == "cpu") return null;
        // The sample references the CPU build of libtorch; CUDA needs an application that references TorchSharp's CUDA backend.
        if (!cuda.is_available())
            throw new OptionsException("--device cuda: CUDA is not available here (this program references the CPU build of libtorch).");
        return CUDA;
    }

    private static long Parameters(LanguageModel model) => model.Decoder.parameters().Sum(p => p.numel());
}
