// Trains the embedded default models on the arithmetic task and writes them under models/:
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- [--out models] [--seed 1]
//       [--policy-steps 3000] [--prm-steps 2500] [--prm-problems 1200] [--eval-problems 500]
// Every figure in the model cards comes from this run; the seed makes it reproducible.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TestTimeScaling;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;

var named = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) named[args[i].TrimStart('-')] = args[i + 1];
int Int(string key, int fallback) => named.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string outDir = named.GetValueOrDefault("out") ?? EmbeddedModels.FindRepositoryModels(Directory.GetCurrentDirectory())
    ?? throw new DirectoryNotFoundException("Run from inside the repository, or pass --out.");
long seed = Int("seed", 1);
var vocabulary = EmbeddedModels.Vocabulary;
var policyOptions = new PolicyTrainingOptions { Steps = Int("policy-steps", new PolicyTrainingOptions().Steps), Seed = seed };
var prmOptions = new PrmTrainingOptions { Steps = Int("prm-steps", new PrmTrainingOptions().Steps), PolicyProblems = Int("prm-problems", new PrmTrainingOptions().PolicyProblems), Seed = seed + 1 };
int evalProblems = Int("eval-problems", EvaluationSplits.HeldOut.Count);
string command = "dotnet run -c Release --project samples/TestTimeScaling.Samples.Train -- " + string.Join(' ', args);
var total = Stopwatch.StartNew();

void Report(TrainingProgress p) => Console.WriteLine($"  step {p.Step,5}/{p.TotalSteps}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {p.Elapsed:mm\\:ss}");

string policyDir = Path.Combine(outDir, EmbeddedModels.PolicyFolder);
TrainingResult? policyRun = null;
if (named.TryGetValue("policy", out var reusedPolicy))
{
    Console.WriteLine($"Reusing the policy in {reusedPolicy}.");
    policyDir = reusedPolicy;
}
else
{
    Console.WriteLine($"Training the policy ({policyOptions.Steps} steps, batch {policyOptions.BatchSize}, seed {seed})...");
    policyRun = PolicyTrainer.Train(policyOptions, vocabulary, new SyncProgress<TrainingProgress>(Report));
    EmbeddedModels.Save(policyRun.Model, vocabulary, policyDir);
    policyRun.Model.Dispose();
}

// From here on, everything goes through the public loader, exactly as users load the shipped models.
using var policy = LanguageModel.Load(policyDir);
using var sampler = policy.CreateSampler();

Console.WriteLine($"Sampling the policy on {prmOptions.PolicyProblems} training problems for reward-model data...");
var examples = await PrmDataset.BuildAsync(sampler, prmOptions, new SyncProgress<int>(n => Console.WriteLine($"  {n} problems")));
Console.WriteLine($"  {examples.Count} solutions, {examples.Sum(e => e.Labels.Count)} steps, {examples.Sum(e => e.Labels.Count(l => !l))} wrong steps");
Console.WriteLine($"Training the process reward model ({prmOptions.Steps} steps)...");
var prmRun = PrmTrainer.Train(examples, prmOptions, vocabulary, initializeFrom: policy.Decoder, progress: new SyncProgress<TrainingProgress>(Report));
string prmDir = Path.Combine(outDir, EmbeddedModels.PrmFolder);
EmbeddedModels.Save(prmRun.Model, vocabulary, prmDir);
prmRun.Model.Dispose();
using var prmModel = LanguageModel.Load(prmDir);
var prm = prmModel.CreateProcessVerifier();

Console.WriteLine($"Evaluating on {evalProblems} held-out problems, 16 samples each at temperature 0.8...");
var problems = EvaluationSplits.HeldOut.Where((_, i) => i % Math.Max(1, EvaluationSplits.HeldOut.Count / evalProblems) == 0).Take(evalProblems).ToList();
var report = await ModelEvaluator.EvaluateAsync(sampler, problems, samples: 16, temperature: 0.8, seed: 1, prm: prm,
    progress: new SyncProgress<int>(n => Console.WriteLine($"  {n}/{problems.Count}")));
total.Stop();

var card = new ModelCardWriter(command, seed, policyOptions, prmOptions, policyRun, prmRun, examples, report, total.Elapsed);
if (policyRun is not null) File.WriteAllText(Path.Combine(policyDir, "README.md"), card.Policy());
File.WriteAllText(Path.Combine(prmDir, "README.md"), card.Prm());
File.WriteAllText(Path.Combine(outDir, "evaluation.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(card.Table());
Console.WriteLine($"Done in {total.Elapsed:mm\\:ss}; models written to {outDir}.");

/// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
