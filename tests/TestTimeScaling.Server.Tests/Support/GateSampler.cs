namespace TestTimeScaling.Server.Tests;

/// <summary>
/// A sampler that holds every call until <see cref="Release"/> (or the call's cancellation), so a test can keep
/// requests in flight at the server on purpose; it records how many calls entered and how many were cancelled.
/// </summary>
public sealed class GateSampler : ISampler
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _entered;
    private int _cancelled;

    public SamplerCapabilities Capabilities { get; init; } = new() { ContextLength = 4096 };

    public int Entered => Volatile.Read(ref _entered);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public void Release() => _open.TrySetResult();

    public int CountTokens(string text) => text.Length;

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _entered);
        try
        {
            await _open.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        var completions = Enumerable.Range(0, request.RowCount)
            .Select(i => new Completion { PrefixIndex = i / request.N, Text = "A: 1\n", TokenIds = [1, 2, 3], FinishReason = FinishReason.Stop })
            .ToList();
        return new SampleResult(completions, new Usage { PromptTokens = request.Prompt.Length, GeneratedTokens = 3L * request.RowCount });
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }
}
