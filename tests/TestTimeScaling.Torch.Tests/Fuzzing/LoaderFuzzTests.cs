using System.Collections.Concurrent;
using TestTimeScaling.Torch.Tests.Loading;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>Builds the two valid base directories once for all fuzz tests.</summary>
public sealed class FuzzBaseFixture : IDisposable
{
    private readonly TempDirectory _root = new();

    public FuzzBaseFixture()
    {
        Single = Path.Combine(_root.Path, "single");
        Sharded = Path.Combine(_root.Path, "sharded");
        FuzzBaseModel.Write(Single, sharded: false);
        FuzzBaseModel.Write(Sharded, sharded: true);
    }

    /// <summary>The folder the bases and the cases live in (cases beside the bases, so "../sharded/..." reaches them).</summary>
    public string Root => _root.Path;

    public string Single { get; }

    public string Sharded { get; }

    public void Dispose() => _root.Dispose();
}

/// <summary>
/// Seeded mutation fuzzing of every file a model directory holds (issue 8, part 4). Each case is loaded with
/// <see cref="LanguageModel.Load"/> in a child process and, if it loads, asked for one token. Allowed outcomes:
/// success, or one of the documented exception types. A crash, a hang, an undocumented exception type, or a
/// model that loads but fails at its first token fails the test, naming the kind, seed and mutations.
/// TTS_FUZZ_CASES sets the cases per kind (default 200) and TTS_FUZZ_SEED the first seed (default 0);
/// docs/reliability.md has the long-run command.
/// </summary>
public sealed class LoaderFuzzTests(FuzzBaseFixture bases, ITestOutputHelper output) : IClassFixture<FuzzBaseFixture>
{
    private const int BatchSize = 100;

    private static readonly HashSet<string> Documented =
    [
        typeof(FileNotFoundException).FullName!,
        typeof(DirectoryNotFoundException).FullName!,
        typeof(InvalidDataException).FullName!,
        typeof(NotSupportedException).FullName!,
        typeof(CheckpointMismatchException).FullName!,
        typeof(ModelTooLargeException).FullName!,
    ];

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("TTS_FUZZ_CASES"), out int n) && n > 0 ? n : 200;

    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("TTS_FUZZ_SEED"), out int s) ? s : 0;

    [Fact]
    public void MalformedSafetensorsAreRefusedByName() => Campaign(FuzzKind.Safetensors);

    [Fact]
    public void MalformedShardIndexesAreRefusedByName() => Campaign(FuzzKind.ShardIndex);

    [Fact]
    public void MalformedConfigJsonIsRefusedByName() => Campaign(FuzzKind.Config);

    [Fact]
    public void MalformedTokenizerJsonIsRefusedByName() => Campaign(FuzzKind.Tokenizer);

    [Fact]
    public void MalformedTokenizerConfigIsRefusedByName() => Campaign(FuzzKind.TokenizerConfig);

    [Fact]
    public void MalformedGenerationConfigIsRefusedByName() => Campaign(FuzzKind.GenerationConfig);

    private void Campaign(FuzzKind kind)
    {
        var writer = new FuzzCaseWriter(bases.Single, bases.Sharded);
        var descriptions = new ConcurrentDictionary<string, (int Seed, string What)>();
        var outcomes = new List<FuzzOutcome>();
        string listFile = Path.Combine(bases.Root, $"{kind}.list");
        for (int batchStart = 0; batchStart < Cases; batchStart += BatchSize)
        {
            var batch = new List<string>();
            for (int seed = FirstSeed + batchStart; seed < FirstSeed + Math.Min(Cases, batchStart + BatchSize); seed++)
            {
                string directory = Path.Combine(bases.Root, $"{kind}-{seed}");
                descriptions[directory] = (seed, writer.Write(kind, seed, directory));
                batch.Add(directory);
            }
            // Generous: a healthy batch takes a few seconds; only a hang comes near this.
            outcomes.AddRange(FuzzHostProcess.Run(batch, listFile, TimeSpan.FromSeconds(60 + batch.Count)));
            foreach (string directory in batch)
            {
                if (IsAllowed(outcomes.First(o => o.Case == directory))) Directory.Delete(directory, recursive: true);
            }
        }

        var failures = outcomes.Where(o => !IsAllowed(o)).ToList();
        string kept = Path.Combine(Path.GetTempPath(), "tts-fuzz-failures");
        foreach (var failure in failures)
        {
            string destination = Path.Combine(kept, Path.GetFileName(failure.Case));
            if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
            Directory.CreateDirectory(kept);
            Directory.Move(failure.Case, destination);
        }
        output.WriteLine($"{kind}: {outcomes.Count} cases from seed {FirstSeed}");
        foreach (var group in outcomes.GroupBy(o => o.Outcome == "ok" ? "ok" : $"{o.Outcome} {o.Type} ({o.Phase})").OrderByDescending(g => g.Count()))
            output.WriteLine($"  {group.Count(),6}  {group.Key}");

        Assert.Equal(Cases, outcomes.Count);
        Assert.True(failures.Count == 0, $"{failures.Count} of {outcomes.Count} {kind} cases failed (directories kept):\n" + string.Join("\n", failures.Take(15).Select(f =>
            $"  {kind} seed {descriptions[f.Case].Seed} [{descriptions[f.Case].What}]: {f.Outcome} {f.Type} ({f.Phase}) {f.Message} -- kept in {Path.Combine(kept, Path.GetFileName(f.Case))}")));
        // The fuzzer must reach the checks: a campaign in which nothing is refused tests nothing.
        Assert.Contains(outcomes, o => o.Outcome == "error");
    }

    // At load, only the documented types. At the first token, only the engine's documented refusal of a request
    // the model cannot serve (a context of one or two positions leaves no room for the prompt and a token).
    private static bool IsAllowed(FuzzOutcome outcome) => outcome.Outcome == "ok" || outcome.Outcome == "error" && outcome.Phase switch
    {
        "load" => Documented.Contains(outcome.Type!),
        "generate" => outcome.Type == typeof(ArgumentException).FullName && outcome.Parameter == "request",
        _ => false,
    };
}
