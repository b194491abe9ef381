using System.Globalization;
using System.Text;
using TestTimeScaling.Arithmetic;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// The allocator table of docs/strategies-science.md: on held-out problems (TTS_ALLOC_PER_LEVEL per level, default 12,
/// indices 20 onward of each level), at the total tokens majority@N spends for N = 4, 8 and 16, the compute-optimal
/// allocator against the fixed strategies at that budget (majority@N, weighted best-of-N, beam search held to the same
/// tokens), without a verifier, under the learned PRM and under the perfect step verifier, with paired bootstrap
/// intervals over problems. Run with
/// <c>TTS_SCIENCE=1 dotnet test tests/TestTimeScaling.Torch.Tests -c Release --filter "FullyQualifiedName~AllocationMeasurement"</c>;
/// the table is printed and, when TTS_SCIENCE_OUT names a file, written there.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class AllocationMeasurement(EmbeddedModelsFixture models, ITestOutputHelper output)
{
    private static readonly SamplingOptions Sampling = new() { Temperature = 0.8, MaxNewTokens = 100 };

    private static int PerLevel => int.TryParse(Environment.GetEnvironmentVariable("TTS_ALLOC_PER_LEVEL"), CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 12;

    private static readonly List<Problem> Problems = Enumerable.Range(1, 5)
        .SelectMany(level => EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, level).Skip(20).Take(PerLevel)).Select(p => p.ToProblem()).ToList();

    private sealed record Row(int N, string Strategy, string Verifier, bool Fixed, bool[] Correct, long Tokens, string Note = "");

    private SearchContext Context(IVerifier? verifier, Budget budget, int problem) => new()
    {
        Sampler = models.Sampler,
        Verifier = verifier,
        AnswerExtractor = ArithmeticAnswerExtractor.Instance,
        Budget = budget,
        Sampling = Sampling with { Seed = 1000 + problem },
    };

    private async Task<Row> RunAsync(int n, string name, string verifierName, IVerifier? verifier, Func<ISearchStrategy> make, Budget budget)
    {
        var correct = new bool[Problems.Count];
        long tokens = 0;
        for (int i = 0; i < Problems.Count; i++)
        {
            var r = await make().SolveAsync(Problems[i], Context(verifier, budget, i));
            correct[i] = r.Answer == Problems[i].ReferenceAnswer;
            tokens += r.Usage.GeneratedTokens;
        }
        return new Row(n, name, verifierName, true, correct, tokens);
    }

    private async Task<Row> AllocateAsync(int n, string verifierName, IVerifier? verifier, long total, ComputeOptimalAllocator allocator, string label)
    {
        var result = await allocator.SolveAllAsync(Problems, Context(verifier, Budget.Samples(1), 0), total);
        Assert.True(result.TotalTokens <= total, $"{label}: {result.TotalTokens} > {total}");
        var correct = result.Problems.Select(p => p.Answer == p.Problem.ReferenceAnswer).ToArray();
        int stopped = result.Problems.Count(p => p.TokensAllotted == 0);
        int most = result.Problems.Max(p => p.Candidates.Count);
        return new Row(n, label, verifierName, false, correct, result.TotalTokens, $"{stopped} stopped after the pilot; most samples on one problem {most}");
    }

    [Generation.EnvironmentFact("TTS_SCIENCE")]
    public async Task Measure()
    {
        var verifiers = new (string Name, IVerifier? Verifier)[] { ("-", null), ("learned PRM", models.Verifier), ("perfect", ArithmeticStepVerifier.Instance) };
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{Problems.Count} held-out problems ({PerLevel} per level), temperature {Sampling.Temperature}, MaxNewTokens {Sampling.MaxNewTokens}, seed 1000 + problem index.");
        table.AppendLine();
        table.AppendLine("| budget (tokens) | strategy | verifier | accuracy | Δ vs best fixed, same verifier (paired bootstrap 95%) | generated tokens | allocation |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (int n in new[] { 4, 8, 16 })
        {
            var majority = await RunAsync(n, $"majority@{n}", "-", null, () => new SelfConsistency(n), Budget.Samples(n));
            long total = majority.Tokens, perProblem = total / Problems.Count;
            var (width, expansions) = n switch { 4 => (2, 2), 8 => (2, 4), _ => (4, 4) };
            var rows = new List<Row> { majority };
            foreach (var (vname, v) in verifiers)
            {
                if (v is not null)
                {
                    rows.Add(await RunAsync(n, $"weighted best-of-{n}", vname, v, () => new WeightedBestOfN(n), Budget.Samples(n)));
                    rows.Add(await RunAsync(n, $"beam search {width}x{expansions}, ≤ {perProblem} tok/problem", vname, v,
                        () => new StepBeamSearch(width, expansions), new Budget(n, perProblem)));
                }
                rows.Add(await AllocateAsync(n, vname, v, total, new ComputeOptimalAllocator(), "allocator, marginal gain (pilot 2 + 2 to confirm)"));
                rows.Add(await AllocateAsync(n, vname, v, total, new ComputeOptimalAllocator(policy: AllocationPolicy.LevelWeights), "allocator, level weights, pilot 4"));
            }
            foreach (var r in rows)
            {
                // The best fixed strategy available with this verifier (majority needs none, so it is always available).
                var best = rows.Where(f => f.Fixed && (f.Verifier == r.Verifier || f.Verifier == "-"))
                    .MaxBy(f => f.Correct.Count(c => c))!;
                var (d, lo, hi) = PairedBootstrap(r.Correct, best.Correct);
                string delta = ReferenceEquals(r, best) ? "best fixed" : $"{d:+0.0%;-0.0%;0.0%} [{lo:+0.0%;-0.0%;0.0%}, {hi:+0.0%;-0.0%;0.0%}] vs {best.Strategy}";
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {total} ({perProblem}/problem) | {r.Strategy} | {r.Verifier} | {r.Correct.Average(c => c ? 1.0 : 0.0):P1} | {delta} | {r.Tokens} | {r.Note} |");
                Assert.True(r.Fixed || r.Tokens <= total);
            }
            output.WriteLine($"budget {n} done");
        }
        output.WriteLine(table.ToString());
        if (Environment.GetEnvironmentVariable("TTS_SCIENCE_OUT") is { Length: > 0 } path) await File.WriteAllTextAsync(path, table.ToString());
    }

    // Mean paired difference of a and b with a percentile bootstrap 95% interval over problems (10,000 resamples, fixed seed).
    private static (double Mean, double Lo, double Hi) PairedBootstrap(bool[] a, bool[] b)
    {
        var d = a.Zip(b, (x, y) => (x ? 1 : 0) - (y ? 1 : 0)).ToArray();
        var random = new Random(12345);
        var means = new double[10_000];
        for (int r = 0; r < means.Length; r++)
        {
            long sum = 0;
            for (int i = 0; i < d.Length; i++) sum += d[random.Next(d.Length)];
            means[r] = (double)sum / d.Length;
        }
        Array.Sort(means);
        return (d.Average(), means[(int)(0.025 * means.Length)], means[(int)(0.975 * means.Length) - 1]);
    }
}
