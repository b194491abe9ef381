using System.Globalization;
using TestTimeScaling.OpenAI;

namespace TestTimeScaling.Server;

/// <summary>The server's own command-line options; everything else goes to ASP.NET Core (for example <c>--urls</c>).</summary>
internal static class ServerCommandLine
{
    public static (ServerOptions Options, string[] AspNetArgs) Parse(string[] args)
    {
        var roots = new List<string>();
        var models = new List<ServedModelOptions>();
        var rest = new List<string>();
        var limits = new Dictionary<string, long>();
        var upstreamModels = new List<string>();
        Uri? upstream = null;
        string? apiKey = Environment.GetEnvironmentVariable("TTS_UPSTREAM_API_KEY");
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--model-root": roots.Add(Value()); break;
                case "--model": models.Add(Model(Value(), ModelKind.Policy, arg)); break;
                case "--reward-model": models.Add(Model(Value(), ModelKind.ProcessReward, arg)); break;
                case "--upstream":
                    string url = Value();
                    upstream = Uri.TryCreate(url, UriKind.Absolute, out var u) ? u : throw new ArgumentException($"--upstream must be an absolute URL, not '{url}'.");
                    break;
                case "--upstream-model": upstreamModels.Add(Value()); break;
                case "--upstream-api-key": apiKey = Value(); break;
                case "--max-n" or "--max-tokens" or "--max-concurrent-requests" or "--max-rows-in-flight" or "--max-prompt-tokens" or "--max-body-bytes":
                    string v = Value();
                    limits[arg] = long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
                        ? n : throw new ArgumentException($"{arg} must be a positive integer, not '{v}'.");
                    break;
                default: rest.Add(arg); break;
            }
        }

        if (upstream is null != (upstreamModels.Count == 0))
            throw new ArgumentException("--upstream URL and --upstream-model NAME go together.");
        var upstreams = upstreamModels.Select(m => new OpenAICompatibleSamplerOptions { Endpoint = upstream, Model = m, ApiKey = apiKey }).ToList();
        var options = models.Count == 0 && upstreams.Count == 0 ? ServerOptions.EmbeddedDefaults() : new ServerOptions
        {
            ModelRoots = roots.Count > 0 || models.Count == 0 ? roots : throw new ArgumentException("--model and --reward-model need at least one --model-root."),
            Models = models,
            Upstreams = upstreams,
            DefaultVerifier = models.FirstOrDefault(m => m.Kind == ModelKind.ProcessReward)?.Name,
        };
        if (models.Count == 0 && roots.Count > 0) options = options with { ModelRoots = roots };
        int Int(string key, int current) => limits.TryGetValue(key, out long v) ? checked((int)v) : current;
        options = options with
        {
            MaxN = Int("--max-n", options.MaxN),
            MaxTokens = Int("--max-tokens", options.MaxTokens),
            MaxConcurrentRequests = Int("--max-concurrent-requests", options.MaxConcurrentRequests),
            MaxRowsInFlight = Int("--max-rows-in-flight", options.MaxRowsInFlight),
            MaxPromptTokens = Int("--max-prompt-tokens", options.MaxPromptTokens),
            MaxRequestBodyBytes = limits.GetValueOrDefault("--max-body-bytes", options.MaxRequestBodyBytes),
        };
        return (options, rest.ToArray());
    }

    private static ServedModelOptions Model(string value, ModelKind kind, string option)
    {
        int eq = value.IndexOf('=');
        if (eq <= 0 || eq == value.Length - 1) throw new ArgumentException($"{option} takes NAME=DIRECTORY, not '{value}'.");
        return new ServedModelOptions { Name = value[..eq], Path = value[(eq + 1)..], Kind = kind };
    }
}
