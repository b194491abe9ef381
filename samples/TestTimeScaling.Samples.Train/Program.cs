// Trains the embedded default models on the arithmetic task and writes them under models/:
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- [--out models] [--seed 1]
//       [--policy-steps 3000] [--prm-steps 2500] [--prm-problems 1200] [--eval-problems 500] [--policy DIR]
//       [--prm-temperatures 1.0] [--prm-samples 4] [--prm-error-share 0] [--prm-fresh-share 0.5] [--prm-extra-layers 2] [--prm-calibration 0] [--dev]
//       [--evaluate-prm DIR] (evaluate a trained reward model, with --policy, instead of training one; with
//       --prm-calibration N it is calibrated first and written to --out)
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
var prmTemperatures = new Option<double[]>("--prm-temperatures") { Description = "Temperatures the policy is sampled at for reward-model data, taken in turn per problem (e.g. 0.8 1.0 1.2).", DefaultValueFactory = _ => [.. defaults.Prm.SamplingTemperatures], AllowMultipleArgumentsPerToken = true };
var prmSamples = new Option<int>("--prm-samples") { Description = "Policy samples per training problem for reward-model data.", DefaultValueFactory = _ => defaults.Prm.SamplesPerProblem }.InRange(1, 1_000);
var prmErrorShare = new Option<double>("--prm-error-share") { Description = "Share of the built-data part of each batch drawn from the policy's own wrong solutions.", DefaultValueFactory = _ => defaults.Prm.PolicyErrorShare };
var prmFreshShare = new Option<double>("--prm-fresh-share") { Description = "Share of each batch made of freshly generated problems.", DefaultValueFactory = _ => defaults.Prm.SyntheticShare };
var prmExtraLayers = new Option<int>("--prm-extra-layers") { Description = "Blocks added on top of the policy's trunk.", DefaultValueFactory = _ => defaults.Prm.ExtraLayers }.InRange(0, 64);
var evaluatePrm = new Option<string?>("--evaluate-prm") { Description = "Evaluate the reward model in this folder (with --policy) instead of training one; writes only evaluation.json to --out." };
var calibrate = new Option<int>("--prm-calibration") { Description = "Training problems to fit the reward model's Platt scaling on after training (0: none).", DefaultValueFactory = _ => defaults.Prm.CalibrationProblems }.InRange(0, 1_000_000);
var continuePrm = new Option<string?>("--continue-prm") { Description = "Go on training the reward model in this folder (with --policy) instead of starting one from the policy." };
var prmLearningRate = new Option<double>("--prm-lr") { Description = "Reward-model peak learning rate.", DefaultValueFactory = _ => defaults.Prm.LearningRate };
var devOption = new Option<bool>("--dev") { Description = "Evaluate on the Dev split instead of the held-out one (for trying recipes)." };
var policyOption = new Option<string?>("--policy") { Description = "Reuse the policy in this folder instead of training one (only the reward model is trained)." };

var root = new RootCommand("Trains the embedded policy and process reward model on the arithmetic task, evaluates them on held-out problems, and writes both models with their model cards.")
{
    outOption, seedOption, policySteps, prmSteps, prmProblems, evalProblems, policyOption,
    prmTemperatures, prmSamples, prmErrorShare, prmFreshShare, prmExtraLayers, devOption, evaluatePrm, calibrate, continuePrm, prmLearningRate,
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
            Prm: defaults.Prm with
            {
                Steps = parse.GetValue(prmSteps),
                PolicyProblems = parse.GetValue(prmProblems),
                SamplingTemperatures = parse.GetValue(prmTemperatures) ?? [.. defaults.Prm.SamplingTemperatures],
                SamplesPerProblem = parse.GetValue(prmSamples),
                PolicyErrorShare = parse.GetValue(prmErrorShare),
                SyntheticShare = parse.GetValue(prmFreshShare),
                ExtraLayers = parse.GetValue(prmExtraLayers),
                CalibrationProblems = parse.GetValue(calibrate),
                LearningRate = parse.GetValue(prmLearningRate),
            },
            EvalProblems: parse.GetValue(evalProblems),
            DevSplit: parse.GetValue(devOption),
            ReusedPolicy: parse.GetValue(policyOption),
            Command: "dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- " + string.Join(' ', args),
            EvaluatedPrm: parse.GetValue(evaluatePrm),
            ContinuedPrm: parse.GetValue(continuePrm));
        // Before hours of training: the folders must be writable and a reused policy complete.
        run.CheckFolders();
        run.Prm.Validate();
        return await PhaseProgress.RunAsync(progress => run.ExecuteAsync(progress));
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException or CheckpointMismatchException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
