using System.Globalization;
using System.Text.Json.Serialization;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>What one run of the scaling study does: which problems, strategies and budgets, and where it writes.</summary>
public sealed record ScalingOptions
{
    /// <summary>Held-out problems to solve, taken evenly across the five levels.</summary>
    public int Problems { get; init; } = 90;

    /// <summary>Strategies to run, by catalog name, in catalog order.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = StrategyCatalog.DefaultNames;

    /// <summary>Budgets (samples, or rollouts for the step-level searches) to run every strategy at.</summary>
    public IReadOnlyList<int> Budgets { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Base seed: each problem's sampling seed is derived from it, so a run is reproducible.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>"cpu" or "cuda".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Where the JSON, CSV and PNG go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("out", "scaling");

    /// <summary>The folder holding arithmetic-policy and arithmetic-prm; null finds the embedded models.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Sampling temperature of every call.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Most tokens per sampler call (a whole solution, or one step for the step-level searches).</summary>
    public int MaxNewTokens { get; init; } = 140;

    /// <summary>
    /// How the PRM's step scores become a solution's score for best-of-N and weighted best-of-N (the step-level searches
    /// rank partial solutions by the last step's score, the library's default for them).
    /// </summary>
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;

    /// <summary>Whether --help was asked for.</summary>
    [JsonIgnore]
    public bool ShowHelp { get; init; }

    /// <summary>The command-line help, with the defaults in force.</summary>
    public static string Usage
    {
        get
        {
            var d = new ScalingOptions();
            return string.Create(CultureInfo.InvariantCulture, $"""
                Runs test-time scaling strategies on the embedded arithmetic policy and process reward model over
                held-out problems at growing budgets, then prints a table and writes JSON, CSV and a PNG plot.

                Usage: dotnet run -c Release --project samples/TestTimeScaling.Samples.Scaling -- [options]

                  --problems N          held-out problems, taken evenly across levels 1-5 (default {d.Problems}, at most {EvaluationSplits.HeldOut.Count})
                  --strategies a,b,c    strategies to run, of: {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}
                                        (default {string.Join(',', d.Strategies)})
                  --budgets 1,2,4       budgets N: samples per problem; for beam-search, dvts and particle-filtering, rows
                                        per step, about N solutions' worth of tokens (default {string.Join(',', d.Budgets)})
                  --seed N              base seed; each problem's seed derives from it (default {d.Seed})
                  --device cpu|cuda     where the models run (default {d.Device})
                  --out DIR             output folder (default {d.OutputDirectory})
                  --models DIR          folder with arithmetic-policy and arithmetic-prm (default: the embedded models)
                  --temperature T       sampling temperature (default {d.Temperature})
                  --max-new-tokens N    most tokens per sampler call: a solution, or one step of a search (default {d.MaxNewTokens})
                  --aggregation A       PRM step scores to a solution score for best-of-n and weighted-best-of-n:
                                        last, min, product or mean (default {d.Aggregation.ToString().ToLowerInvariant()})
                  -h, --help            show this help
                """);
        }
    }

    /// <summary>Parses the command line.</summary>
    /// <exception cref="OptionsException">An unknown option, a missing value or a value out of range (the message says which).</exception>
    public static ScalingOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ScalingOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help") { options = options with { ShowHelp = true }; continue; }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new OptionsException($"unexpected argument '{arg}' (options start with --).");

            // Both "--name value" and "--name=value".
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
            if (value is null || value.Length == 0) throw new OptionsException($"--{name} needs a value.");

            options = name switch
            {
                "problems" => options with { Problems = ParseInt(name, value, 1, EvaluationSplits.HeldOut.Count) },
                "strategies" => options with { Strategies = ParseStrategies(value) },
                "budgets" => options with { Budgets = ParseBudgets(value) },
                "seed" => options with { Seed = ParseLong(name, value) },
                "device" => options with { Device = ParseDevice(value) },
                "out" => options with { OutputDirectory = value },
                "models" => options with { ModelsDirectory = value },
                "temperature" => options with { Temperature = ParseDouble(name, value, 0, 10) },
                "max-new-tokens" => options with { MaxNewTokens = ParseInt(name, value, 1, 4096) },
                "aggregation" => options with { Aggregation = ParseAggregation(value) },
                _ => throw new OptionsException($"unknown option --{name}."),
            };
        }
        // A strategy with a fixed budget (the single-sample baseline) can leave nothing to run.
        if (!options.Strategies.Any(n => options.Budgets.Any(b => StrategyCatalog.Find(n)!.Supports(b))))
            throw new OptionsException($"nothing to run: {string.Join(", ", options.Strategies)} at budget(s) {string.Join(", ", options.Budgets)} ('single' runs at budget 1 only).");
        return options;
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            throw new OptionsException($"--{name} must be a whole number from {min} to {max}, not '{value}'.");
        return n;
    }

    private static long ParseLong(string name, string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new OptionsException($"--{name} must be a whole number, not '{value}'.");

    private static double ParseDouble(string name, string value, double min, double max)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !(x >= min && x <= max))
            throw new OptionsException($"--{name} must be a number from {min} to {max}, not '{value}'.");
        return x;
    }

    private static IReadOnlyList<string> ParseStrategies(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new OptionsException("--strategies needs at least one name.");
        foreach (var n in names)
            if (StrategyCatalog.Find(n) is null)
                throw new OptionsException($"unknown strategy '{n}'; known: {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}.");
        var specs = names.Select(n => StrategyCatalog.Find(n)!).Distinct().ToList();
        foreach (var spec in specs)
            if (spec.MatchTokensOf is { } other && !specs.Any(s => s.Name == other))
                throw new OptionsException($"strategy '{spec.Name}' needs '{other}' in --strategies too: its token budget is what {other} generated.");
        // Catalog order, so a strategy whose budget is another's measured tokens always runs after it.
        return StrategyCatalog.All.Where(specs.Contains).Select(s => s.Name).ToList();
    }

    private static IReadOnlyList<int> ParseBudgets(string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new OptionsException("--budgets needs at least one number.");
        // The engine's default row limit is 1024; a budget is at most that many rows in one call.
        var budgets = new List<int>(parts.Length);
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1024)
                throw new OptionsException($"--budgets takes whole numbers from 1 to 1024 separated by commas; '{p}' is not one.");
            budgets.Add(n);
        }
        return budgets.Distinct().Order().ToList();
    }

    private static StepAggregation ParseAggregation(string value) =>
        Enum.TryParse<StepAggregation>(value, ignoreCase: true, out var a) && Enum.IsDefined(a) && !int.TryParse(value, out _)
            ? a
            : throw new OptionsException($"--aggregation must be last, min, product or mean, not '{value}'.");

    private static string ParseDevice(string value) => value.ToLowerInvariant() switch
    {
        "cpu" => "cpu",
        "cuda" => "cuda",
        _ => throw new OptionsException($"--device must be cpu or cuda, not '{value}'."),
    };
}

/// <summary>A command-line option is wrong; the program prints the message and exits with code 2.</summary>
/// <param name="message">What is wrong, for the user.</param>
public sealed class OptionsException(string message) : Exception(message);
