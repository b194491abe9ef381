// Loads a Hugging Face model directory and prints n sampled completions of a prompt.
//   dotnet run --project samples/TestTimeScaling.Samples.Generate -- [model-dir] [prompt] [--n 8] [--temperature 0.8] [--max-tokens 120] [--seed 1]
using System.Globalization;
using TestTimeScaling;
using TestTimeScaling.Torch;

var positional = new List<string>();
var named = new Dictionary<string, string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) named[args[i][2..]] = args[++i];
    else positional.Add(args[i]);
}

string directory = positional.ElementAtOrDefault(0) ?? Path.Combine(AppContext.BaseDirectory, "models", "arithmetic-policy");
string prompt = (positional.ElementAtOrDefault(1) ?? "Q: 38 +7 +15 -19\n").Replace("\\n", "\n");
int n = int.Parse(named.GetValueOrDefault("n", "8"), CultureInfo.InvariantCulture);
var options = new SamplingOptions
{
    Temperature = double.Parse(named.GetValueOrDefault("temperature", "0.8"), CultureInfo.InvariantCulture),
    MaxNewTokens = int.Parse(named.GetValueOrDefault("max-tokens", "120"), CultureInfo.InvariantCulture),
    Seed = long.Parse(named.GetValueOrDefault("seed", "1"), CultureInfo.InvariantCulture),
};

try
{
    using var model = LanguageModel.Load(directory);
    using var sampler = model.CreateSampler();
    Console.WriteLine($"{model.Config.Architecture} from {directory}: {model.Decoder.parameters().Sum(p => p.numel()):N0} parameters");
    Console.Write($"Prompt: {prompt}");
    var result = await sampler.SampleAsync(new SampleRequest { Prompt = prompt, N = n, Options = options });
    for (int i = 0; i < result.Completions.Count; i++)
    {
        var c = result.Completions[i];
        Console.WriteLine($"--- sample {i + 1} ({c.GeneratedTokens} tokens, {c.FinishReason}, logprob {c.CumulativeLogprob:F2})");
        Console.WriteLine(c.Text.TrimEnd());
    }
    var u = result.Usage;
    Console.WriteLine($"--- {u.GeneratedTokens} tokens generated, {u.PromptTokens} prompt tokens prefilled once, {u.ForwardPasses} forward passes, {u.WallTime.TotalMilliseconds:F0} ms ({u.GeneratedTokens / u.WallTime.TotalSeconds:F0} tokens/s)");
    return 0;
}
catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException or InvalidDataException or TestTimeScaling.Torch.CheckpointMismatchException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
