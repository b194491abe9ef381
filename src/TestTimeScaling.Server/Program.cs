using TestTimeScaling.Server;

// dotnet run --project src/TestTimeScaling.Server [-- --urls http://127.0.0.1:8000]
// Optional: --model-root DIR, --model NAME=DIR, --reward-model NAME=DIR (replace the embedded defaults),
// --upstream URL --upstream-model NAME [--upstream-api-key KEY] (serve an OpenAI-compatible server's models),
// --max-n N, --max-tokens N, --max-concurrent-requests N, --max-rows-in-flight N, --max-prompt-tokens N, --max-body-bytes N.
try
{
    var (options, rest) = ServerCommandLine.Parse(args);
    var app = ServerApp.Build(options, rest);
    if (!rest.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)) && Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is null)
        app.Urls.Add("http://127.0.0.1:8000");
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or UnauthorizedAccessException or DirectoryNotFoundException or FileNotFoundException or InvalidDataException or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
