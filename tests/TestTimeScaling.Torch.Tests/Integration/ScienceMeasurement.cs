using System.Globalization;
using System.Text;
using TestTimeScaling.Arithmetic;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// The measurement behind docs/strategies-science.md: 40 held-out problems (8 per level), one seed per problem,
/// accuracy and generated tokens of DeepConf against majority vote at equal n, QAlign against best-of-N and majority,
/// and MCTS against beam search, under
/// the learned PRM and the perfect step verifier. Run with
/// <c>TTS_SCIENCE=1 dotnet test tests/TestTimeScaling.Torch.Tests -c Release --filter "FullyQualifiedName~ScienceMeasurement"</c>;
/// the table is printed and, when TTS_SCIENCE_OUT names a file, written there.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class ScienceMeasurement(EmbeddedModelsFixture models, ITestOutputHelper output)
{
    private const int N = 8;
    private static readonly SamplingOptions Sampling = new() { Temperature = 0.8, MaxNewTokens = 100 };
    private static readonly List<Problem> Problems = Enumerable.Range(1, 5)
        .SelectMany(level => EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, level).Skip(20).Take(8)).Select(p => p.ToProblem()).ToList();

    private sealed record Row(string Strategy, string Verifier, bool[] Correct, long Tokens);

    private SearchContext Context(IVerifier? verifier, Budget budget, int problem) => new()
    {
        Sampler = models.Sampler,
        Verifier = verifier,
        AnswerExtractor = ArithmeticAnswerExtractor.Instance,
        Budget = budget,
        Sampling = Sampling with { Seed = 1000 + problem },
    };

    private async Task<Row> RunAsync(string name, string verifierName, IVerifier? verifier, Func<ISearchStrategy> make, Budget budget)
    {
        var correct = new bool[Problems.Count];
        long tokens = 0;
        for (int i = 0; i < Problems.Count; i++)
        {
            var r = await make().SolveAsync(Problems[i], Context(verifier, budget, i));
            correct[i] = r.Answer == Problems[i].ReferenceAnswer;
            tokens += r.Usage.GeneratedTokens;
        }
        return new Row(name, verifierName, correct, tokens);
    }

    [Generation.EnvironmentFact("TTS_SCIENCE")]
    public async Task Measure()
    {
        var rows = new List<Row>();
        var verifiers = new (string Name, IVerifier Verifier)[] { ("learned PRM", models.Verifier), ("perfect", ArithmeticStepVerifier.Instance) };
        var samples = Budget.Samples(N);

        // TTS_SCIENCE_ONLY=verifiers runs the baseline and the verifier rows only (the allocator's table is AllocationMeasurement's).
        bool all = Environment.GetEnvironmentVariable("TTS_SCIENCE_ONLY") != "verifiers";
        var majority = await RunAsync($"majority@{N}", "-", null, () => new SelfConsistency(N), samples);
        if (all) rows.Add(await RunAsync("single sample", "-", null, () => new SelfConsistency(1), Budget.Samples(1)));
        rows.Add(majority);
        if (all)
        {
            foreach (var eta in new[] { 90.0, 50, 10 })
                rows.Add(await RunAsync($"deepconf offline η={eta}@{N}", "-", null, () => new DeepConf(N, keepPercent: eta), samples));
            foreach (var eta in new[] { 90.0, 10 })
                rows.Add(await RunAsync($"deepconf online η={eta} N_init=4 @{N}", "-", null, () => new DeepConf(N, DeepConfMode.Online, keepPercent: eta, warmup: 4), samples));
        }
        long total = majority.Tokens;
        long perProblem = total / Problems.Count;
        rows.Add(await RunAsync($"uniform majority, {perProblem} tok/problem", "-", null, () => new SelfConsistency(1024), Budget.Tokens(perProblem)));
        foreach (var (vname, v) in verifiers)
        {
            rows.Add(await RunAsync($"weighted best-of-{N}", vname, v, () => new WeightedBestOfN(N), samples));
            rows.Add(await RunAsync($"uniform weighted best-of-n, {perProblem} tok/problem", vname, v, () => new WeightedBestOfN(1024), Budget.Tokens(perProblem)));
            if (!all) continue;
            rows.Add(await RunAsync($"best-of-{N}", vname, v, () => new BestOfN(N), samples));
            rows.Add(await RunAsync($"qalign T={N - 1} β=0.1", vname, v, () => new QAlign(iterations: N - 1), samples));
            rows.Add(await RunAsync($"qalign T={2 * N - 1} β=0.1 burn-in 3", vname, v, () => new QAlign(iterations: 2 * N - 1, burnIn: 3), Budget.Samples(2 * N)));
            rows.Add(await RunAsync("beam search 2x2", vname, v, () => new StepBeamSearch(2, 2), samples));
            rows.Add(await RunAsync("mcts 16 sims k=2", vname, v, () => new MonteCarloTreeSearch(simulations: 16, expansions: 2), samples));
        }

        // Twice the budget: 16 samples per problem.
        var majority16 = await RunAsync($"majority@{2 * N}", "-", null, () => new SelfConsistency(2 * N), Budget.Samples(2 * N));
        rows.Add(majority16);
        foreach (var (vname, v) in verifiers)
        {
            rows.Add(await RunAsync($"weighted best-of-{2 * N}", vname, v, () => new WeightedBestOfN(2 * N), Budget.Samples(2 * N)));
        }

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{Problems.Count} held-out problems (8 per level), temperature {Sampling.Temperature}, MaxNewTokens {Sampling.MaxNewTokens}, seed 1000 + problem index.");
        table.AppendLine();
        table.AppendLine("| strategy | verifier | accuracy | 95% interval | Δ vs majority@8 (paired 95%) | generated tokens | tokens / problem |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            double acc = r.Correct.Average(c => c ? 1.0 : 0.0);
            var (lo, hi) = Wilson(r.Correct.Count(c => c), r.Correct.Length);
            var (d, dlo, dhi) = PairedDifference(r.Correct, majority.Correct);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Strategy} | {r.Verifier} | {acc:P1} | [{lo:P0}, {hi:P0}] | {d:+0.0%;-0.0%;0.0%} [{dlo:+0%;-0%;0%}, {dhi:+0%;-0%;0%}] | {r.Tokens} | {r.Tokens / (double)r.Correct.Length:F0} |");
        }
        output.WriteLine(table.ToString());
        if (Environment.GetEnvironmentVariable("TTS_SCIENCE_OUT") is { Length: > 0 } path) await File.WriteAllTextAsync(path, table.ToString());
        Assert.All(rows, r => Assert.Equal(Problems.Count, r.Correct.Length));
    }

    // Wilson score interval for k of n at 95%.
    private static (double Lo, double Hi) Wilson(int k, int n)
    {
        const double z = 1.96;
        double p = (double)k / n, denom = 1 + z * z / n;
        double centre = (p + z * z / (2 * n)) / denom, half = z * Math.Sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
        return (centre - half, centre + half);
    }

    // Mean paired difference with a normal 95% interval.
    private static (double Mean, double Lo, double Hi) PairedDifference(bool[] a, bool[] b)
    {
        var d = a.Zip(b, (x, y) => (x ? 1.0 : 0.0) - (y ? 1.0 : 0.0)).ToArray();
        double mean = d.Average();
        double sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, d.Length - 1));
        double half = 1.96 * sd / Math.Sqrt(d.Length);
        return (mean, mean - half, mean + half);
    }
}
