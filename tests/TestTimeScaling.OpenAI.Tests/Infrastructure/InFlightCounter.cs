namespace TestTimeScaling.OpenAI.Tests.Infrastructure;

/// <summary>Counts the HTTP requests a client has in flight at once, on the client's side (the server's view lags).</summary>
public sealed class InFlightCounter() : DelegatingHandler(new SocketsHttpHandler())
{
    private int _now, _max;

    public int Max => Volatile.Read(ref _max);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _now);
        lock (this) _max = Math.Max(_max, now);
        try { return await base.SendAsync(request, cancellationToken); }
        finally { Interlocked.Decrement(ref _now); }
    }
}
