using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TestTimeScaling.OpenAI.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on a free loopback port (Kestrel) whose every answer comes from <see cref="Handler"/>:
/// a well-behaved OpenAI-compatible upstream or a misbehaving one (errors, truncation, dropped connections, stalls).
/// Records each request's path, headers and JSON body, and the most requests it saw at once.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight, _maxInFlight, _count;

    private LoopbackServer(WebApplication app) => _app = app;

    /// <summary>Answers a request; the int is the 1-based number of the request.</summary>
    public required Func<HttpContext, Received, Task> Handler { get; set; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    public int RequestCount => Volatile.Read(ref _count);
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The OpenAI-style API base (<c>{root}/v1/</c>).</summary>
    public Uri V1 => new(BaseAddress, "v1/");

    public sealed record Received(int Number, string Path, IReadOnlyDictionary<string, string> Headers, JsonNode? Body);

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, Received, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new LoopbackServer(app) { Handler = handler };
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max) { }
        try
        {
            JsonNode? body = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                body = await JsonNode.ParseAsync(context.Request.Body);
            // Copied: Kestrel reuses the header collection once the request ends.
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var received = new Received(Interlocked.Increment(ref _count), context.Request.Path, headers, body);
            Requests.Enqueue(received);
            await Handler(context, received);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (early stop, cancellation, timeout): nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
