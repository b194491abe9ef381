using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace TestTimeScaling.Server;

/// <summary>
/// Builds the OpenAI-compatible test-time-scaling server: <c>/v1/models</c>, <c>/v1/completions</c>,
/// <c>/v1/chat/completions</c>, <c>/pooling</c> and <c>/health</c> over the configured models.
/// </summary>
/// <example>
/// In a test, on a free loopback port:
/// <code>
/// await using var app = await ServerApp.StartAsync(ServerOptions.EmbeddedDefaults());
/// var client = new HttpClient { BaseAddress = ServerApp.BaseAddress(app) };
/// </code>
/// </example>
public static class ServerApp
{
    /// <summary>Loads the models (refusing any outside the roots) and maps the routes; the caller starts it.</summary>
    /// <param name="options">Models and limits.</param>
    /// <param name="args">Command-line arguments for ASP.NET Core (for example <c>--urls</c>).</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="UnauthorizedAccessException">A model directory lies outside the model roots.</exception>
    public static WebApplication Build(ServerOptions options, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        if (options.Upstreams.Count > 0)
        {
            // Retries with backoff on 429/5xx/timeouts in one place; the defaults (10 s a try, 30 s in all) are
            // too short for long generations, and the breaker's window must be at least twice the try timeout.
            builder.Services.AddHttpClient(ModelCatalog.UpstreamClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
                .AddStandardResilienceHandler(r =>
                {
                    r.AttemptTimeout.Timeout = TimeSpan.FromMinutes(2);
                    r.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(5);
                    r.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(10);
                });
        }
        builder.Services.AddSingleton(sp => new ModelCatalog(options, sp.GetService<IHttpClientFactory>())); // the container disposes it
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServerActivity>();

        var app = builder.Build();
        try
        {
            app.Services.GetRequiredService<ModelCatalog>(); // load (or refuse) every model now, not at the first request
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        app.MapGet("/health", (HttpContext context, ServerActivity activity) => ApiHandler.WriteJsonAsync(context, new JsonObject
        {
            ["status"] = "ok",
            ["requests_in_flight"] = activity.RequestsInFlight,
            ["rows_in_flight"] = activity.RowsInFlight,
            ["completed_requests"] = activity.CompletedRequests,
            ["cancelled_requests"] = activity.CancelledRequests,
        }));
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
        app.MapGet("/v1/models/{id}", ModelsEndpoint.GetAsync);
        app.MapPost("/v1/completions", CompletionsEndpoint.HandleAsync);
        app.MapPost("/v1/chat/completions", ChatCompletionsEndpoint.HandleAsync);
        app.MapPost("/pooling", PoolingEndpoint.HandleAsync);
        app.MapPost("/tokenize", TokenizeEndpoint.TokenizeAsync);
        app.MapPost("/detokenize", TokenizeEndpoint.DetokenizeAsync);
        app.MapFallback((HttpContext context) => ApiHandler.WriteJsonAsync(context,
            ApiError.Body($"No route {context.Request.Method} {context.Request.Path}.", "invalid_request_error", null, "not_found"), StatusCodes.Status404NotFound));
        return app;
    }

    /// <summary>Builds and starts the server on <paramref name="url"/> (a free loopback port by default).</summary>
    /// <param name="options">Models and limits.</param>
    /// <param name="url">Where to listen; port 0 picks a free port (read it with <see cref="BaseAddress"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<WebApplication> StartAsync(ServerOptions options, string url = "http://127.0.0.1:0", CancellationToken cancellationToken = default)
    {
        var app = Build(options);
        app.Urls.Clear();
        app.Urls.Add(url);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    /// <summary>The address a started server listens on, ending in a slash.</summary>
    /// <exception cref="InvalidOperationException">The server is not started.</exception>
    public static Uri BaseAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        string address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("The server has no address yet; start it first.");
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }
}
