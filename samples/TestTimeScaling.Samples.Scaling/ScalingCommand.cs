using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// The command line of the study (System.CommandLine): every option of <see cref="ScalingOptions"/>, with its default,
/// its range and a message naming the option when a value is wrong; unknown options and arguments are rejected.
/// </summary>
public sealed class ScalingCommand
{
    private static readonly ScalingOptions Defaults = new();

    private readonly Option<int> _problems = new Option<int>("--problems")
    {
        Description = $"Held-out problems, taken evenly across levels 1-5 (at most {EvaluationSplits.HeldOut.Count}).",
        DefaultValueFactory = _ => Defaults.Problems,
    }.InRange(1, EvaluationSplits.HeldOut.Count);

    private readonly Option<IReadOnlyList<string>> _strategies = new("--strategies")
    {
        Description = $"Strategies to run, comma-separated, of: {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}.",
        HelpName = "a,b,c",
        DefaultValueFactory = _ => Defaults.Strategies,
        CustomParser = ParseStrategies,
    };

    private readonly Option<IReadOnlyList<int>> _budgets = new("--budgets")
    {
        Description = "Budgets N, comma-separated: samples per problem; for beam-search, dvts and particle-filtering, rows per step (about N solutions' worth of tokens).",
        HelpName = "1,2,4",
        DefaultValueFactory = _ => Defaults.Budgets,
        CustomParser = ParseBudgets,
    };

    private readonly Option<long> _seed = new("--seed")
    {
        Description = "Base seed; each problem's seed derives from it.",
        DefaultValueFactory = _ => Defaults.Seed,
    };

    private readonly Option<string> _device = new Option<string>("--device")
    {
        Description = "Where the models run.",
        DefaultValueFactory = _ => Defaults.Device,
    }.AcceptOnlyFromAmong("cpu", "cuda");

    private readonly Option<string> _out = new("--out")
    {
        Description = "Output folder for results.json, results.csv, traces.json, scaling.png, coverage.png and report.html.",
        HelpName = "dir",
        DefaultValueFactory = _ => Defaults.OutputDirectory,
    };

    private readonly Option<string?> _models = new("--models")
    {
        Description = "Folder with arithmetic-policy and arithmetic-prm (default: the embedded models).",
        HelpName = "dir",
    };

    private readonly Option<double> _temperature = new Option<double>("--temperature")
    {
        Description = "Sampling temperature.",
        DefaultValueFactory = _ => Defaults.Temperature,
    }.InRange(0, 10);

    private readonly Option<int> _maxNewTokens = new Option<int>("--max-new-tokens", "--max-output-tokens")
    {
        Description = "Most tokens per sampler call: a solution, or one step of a search.",
        DefaultValueFactory = _ => Defaults.MaxNewTokens,
    }.InRange(1, 4096);

    private readonly Option<string> _aggregation = new Option<string>("--aggregation")
    {
        Description = "PRM step scores to a solution score for best-of-n and weighted-best-of-n.",
        DefaultValueFactory = _ => Defaults.Aggregation.ToString().ToLowerInvariant(),
    }.AcceptOnlyFromAmong("last", "min", "product", "mean");

    private readonly Option<int> _traces = new Option<int>("--traces")
    {
        Description = "Save the step-level searches (beam search, DVTS, particle filtering) of N problems, spread evenly over the levels, to traces.json for the HTML report; 0: none.",
        DefaultValueFactory = _ => Defaults.TraceProblems,
    }.InRange(0, EvaluationSplits.HeldOut.Count);

    private readonly Option<int?> _traceBudget = new("--trace-budget")
    {
        Description = "The budget whose searches --traces saves (default: 4, or the run's budget nearest to it).",
        HelpName = "N",
    };

    private readonly Option<int> _concurrency = new Option<int>("--concurrency")
    {
        Description = "Problems solved side by side, each with its own copy of the models (one torch thread each); the results are the same for every value, only the time changes.",
        HelpName = "K",
        DefaultValueFactory = _ => Defaults.Concurrency,
    }.InRange(1, 64);

    private readonly Option<string?> _from = new("--from")
    {
        Description = "Run nothing: re-read a finished run's results.json (and traces.json beside it) and rewrite its table, plots and report.html there.",
        HelpName = "results.json",
    };

    /// <summary>Builds the command.</summary>
    public ScalingCommand()
    {
        Root = new RootCommand("""
            Runs test-time scaling strategies on the embedded arithmetic policy and process reward model over held-out
            problems at growing budgets, then prints a table and writes JSON, CSV, two PNG plots and a self-contained HTML
            report; --from re-renders a finished run's files without running anything.
            """)
        {
            _problems, _strategies, _budgets, _seed, _device, _out, _models, _temperature, _maxNewTokens, _aggregation,
            _traces, _traceBudget, _concurrency, _from,
        };
        Root.Validators.Add(result =>
        {
            // Re-rendering runs nothing, so a run option beside --from would be silently ignored: say so instead.
            if (result.GetResult(_from) is { Implicit: false })
            {
                var given = Root.Options.Where(o => o != _from && result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (given.Count > 0) result.AddError($"--from re-renders a finished run and takes no run options; drop {string.Join(", ", given)}.");
                return;
            }
            try
            {
                if (result.GetValue(_traceBudget) is { } traced && result.GetValue(_budgets) is { } run && !run.Contains(traced))
                    result.AddError($"--trace-budget {traced} is not one of --budgets ({string.Join(", ", run)}).");
            }
            catch (InvalidOperationException)
            {
                // --budgets did not parse: its own error is reported.
            }
            // A strategy with a fixed budget (the single-sample baseline) can leave nothing to run.
            IReadOnlyList<string>? names;
            IReadOnlyList<int>? budgets;
            try
            {
                names = result.GetValue(_strategies);
                budgets = result.GetValue(_budgets);
            }
            catch (InvalidOperationException)
            {
                return; // a value that did not parse: its own error is reported
            }
            if (names is null || budgets is null) return;
            if (!names.Any(n => budgets.Any(b => StrategyCatalog.Find(n)!.Supports(b))))
                result.AddError($"nothing to run: {string.Join(", ", names)} at budget(s) {string.Join(", ", budgets)} ('single' runs at budget 1 only).");
        });
    }

    /// <summary>The root command; give it an action, then parse.</summary>
    public RootCommand Root { get; }

    /// <summary>The results.json to re-render (--from), or null to run the study.</summary>
    public string? RenderFrom(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(_from);
    }

    /// <summary>The options a successful parse stands for.</summary>
    public ScalingOptions Bind(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new ScalingOptions
        {
            Problems = parse.GetValue(_problems),
            Strategies = parse.GetValue(_strategies)!,
            Budgets = parse.GetValue(_budgets)!,
            Seed = parse.GetValue(_seed),
            Device = parse.GetValue(_device)!,
            OutputDirectory = parse.GetValue(_out)!,
            ModelsDirectory = parse.GetValue(_models),
            Temperature = parse.GetValue(_temperature),
            MaxNewTokens = parse.GetValue(_maxNewTokens),
            Aggregation = Enum.Parse<StepAggregation>(parse.GetValue(_aggregation)!, ignoreCase: true),
            TraceProblems = parse.GetValue(_traces),
            TraceBudget = parse.GetValue(_traceBudget),
            Concurrency = parse.GetValue(_concurrency),
        };
    }

    private static IReadOnlyList<string>? ParseStrategies(ArgumentResult result)
    {
        var names = Split(result);
        if (names.Length == 0) { result.AddError("--strategies needs at least one name."); return null; }
        foreach (var n in names)
            if (StrategyCatalog.Find(n) is null)
            {
                result.AddError($"unknown strategy '{n}'; known: {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}.");
                return null;
            }
        var specs = names.Select(n => StrategyCatalog.Find(n)!).Distinct().ToList();
        foreach (var spec in specs)
            if (spec.MatchTokensOf is { } other && !specs.Any(s => s.Name == other))
            {
                result.AddError($"strategy '{spec.Name}' needs '{other}' in --strategies too: its token budget is what {other} generated.");
                return null;
            }
        // Catalog order, so a strategy whose budget is another's measured tokens always runs after it.
        return StrategyCatalog.All.Where(specs.Contains).Select(s => s.Name).ToList();
    }

    private static IReadOnlyList<int>? ParseBudgets(ArgumentResult result)
    {
        var parts = Split(result);
        if (parts.Length == 0) { result.AddError("--budgets needs at least one number."); return null; }
        // The engine's default row limit is 1024; a budget is at most that many rows in one call.
        var budgets = new List<int>(parts.Length);
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1024)
            {
                result.AddError($"--budgets takes whole numbers from 1 to 1024 separated by commas; '{p}' is not one.");
                return null;
            }
            budgets.Add(n);
        }
        return budgets.Distinct().Order().ToList();
    }

    // "--budgets 1,2,4" and "--budgets 1 2 4" both work: every token, split at commas.
    private static string[] Split(ArgumentResult result) =>
        [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
