// Loads a Hugging Face model directory and prints n sampled completions of a prompt.
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Generate -- [model-dir] [prompt] [--n 8] [--temperature 0.8] [--max-tokens 120] [--seed 1]
using System.CommandLine;
using TestTimeScaling;
using TestTimeScaling.Samples;
using TestTimeScaling.Models;
using TestTimeScaling.Torch;

var modelArgument = new Argument<string?>("model-dir")
{
    Description = "A Hugging Face model directory (config.json, *.safetensors, tokenizer.json). Default: the embedded arithmetic policy beside this program.",
    DefaultValueFactory = _ => null,
}.NotAnOption();
var promptArgument = new Argument<string>("prompt")
{
    Description = @"The prompt; \n stands for a line break.",
    DefaultValueFactory = _ => @"Q: 38 +7 +15 -19\n",
}.NotAnOption();
var n = new Option<int>("--n", "-n") { Description = "Completions to sample.", DefaultValueFactory = _ => 8 }.InRange(1, 1024);
var temperature = new Option<double>("--temperature", "-t") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0.8 }.InRange(0, 10);
var maxTokens = new Option<int>("--max-tokens", "--max-output-tokens") { Description = "Most tokens per completion.", DefaultValueFactory = _ => 120 }.InRange(1, 8192);
var seed = new Option<long>("--seed") { Description = "Sampling seed, for reproducible output.", DefaultValueFactory = _ => 1 };

var root = new RootCommand("Samples completions of a prompt from a Hugging Face model directory and prints them with their token counts, finish reasons and log-probabilities.")
{
    modelArgument, promptArgument, n, temperature, maxTokens, seed,
};
root.SetAction(async (parse, cancellationToken) =>
{
    string prompt = parse.GetValue(promptArgument)!.Replace("\\n", "\n", StringComparison.Ordinal);
    var options = new SamplingOptions
    {
        Temperature = parse.GetValue(temperature),
        MaxNewTokens = parse.GetValue(maxTokens),
        Seed = parse.GetValue(seed),
    };
    try
    {
        string directory = parse.GetValue(modelArgument) ?? EmbeddedModels.PolicyDirectory;
        using var model = LanguageModel.Load(directory);
        using var sampler = model.CreateSampler();
        Console.WriteLine($"{model.Config.Architecture} from {directory}: {model.Decoder.parameters().Sum(p => p.numel()):N0} parameters");
        Console.Write($"Prompt: {prompt}");
        if (!prompt.EndsWith('\n')) Console.WriteLine();
        var result = await sampler.SampleAsync(new SampleRequest { Prompt = prompt, N = parse.GetValue(n), Options = options }, cancellationToken);
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
    catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException or InvalidDataException or CheckpointMismatchException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("cancelled.");
        return 130;
    }
});
return await root.Parse(args).InvokeAsync();
