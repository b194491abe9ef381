// Trains the embedded default models on the arithmetic task and writes them under models/:
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- [--out models] [--seed 1]
//       [--policy-steps 3000] [--prm-steps 2500] [--prm-problems 1200] [--eval-problems 500] [--policy DIR]
// Every figure in the model cards comes from this run; the seed makes it reproducible.
using System.CommandLine;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Samples;
using TestTimeScaling.Samples.Train;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;

var defaults = (Policy: new PolicyTrainingOptions(), Prm: new PrmTrainingOptions());
var outOption = new Option<string?>("--out") { Description = "Folder to write arithmetic-policy, arithmetic-prm and evaluation.json to. Default: the repository's models/ folder." };
var seedOption = new Option<long>("--seed") { Description = "Seed of the policy run (the PRM uses seed + 1).", DefaultValueFactory = _ => 1 };
var policySteps = new Option<int>("--policy-steps") { Description = "Policy training steps.", DefaultValueFactory = _ => defaults.Policy.Steps }.InRange(1, 1_000_000);
var prmSteps = new Option<int>("--prm-steps") { Description = "Reward-model training steps.", DefaultValueFactory = _ => defaults.Prm.Steps }.InRange(1, 1_000_000);
var prmProblems = new Option<int>("--prm-problems") { Description = "Training problems the policy is sampled on for reward-model data.", DefaultValueFactory = _ => defaults.Prm.PolicyProblems }.InRange(1, 1_000_000);
var evalProblems = new Option<int>("--eval-problems") { Description = "Held-out problems of the final evaluation.", DefaultValueFactory = _ => EvaluationSplits.HeldOut.Count }.InRange(1, EvaluationSplits.HeldOut.Count);
var policyOption = new Option<string?>("--policy") { Description = "Reuse the policy in this folder instead of training one (only the reward model is trained)." };

var root = new RootCommand("Trains the embedded policy and process reward model on the arithmetic task, evaluates them on held-out problems, and writes both models with their model cards.")
{
    outOption, seedOption, policySteps, prmSteps, prmProblems, evalProblems, policyOption,
};
root.SetAction(async parse =>
{
    try
    {
        var run = new TrainingRun(
            OutputDirectory: parse.GetValue(outOption) ?? EmbeddedModels.FindRepositoryModels(Directory.GetCurrentDirectory())
                ?? throw new DirectoryNotFoundException("Run from inside the repository, or pass --out."),
            Seed: parse.GetValue(seedOption),
            PolicySteps: parse.GetValue(policySteps),
            PrmSteps: parse.GetValue(prmSteps),
            PrmProblems: parse.GetValue(prmProblems),
            EvalProblems: parse.GetValue(evalProblems),
            ReusedPolicy: parse.GetValue(policyOption),
            Command: "dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- " + string.Join(' ', args));
        // Before hours of training: the folders must be writable and a reused policy complete.
        run.CheckFolders();
        return await PhaseProgress.RunAsync(progress => run.ExecuteAsync(progress));
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException or CheckpointMismatchException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
