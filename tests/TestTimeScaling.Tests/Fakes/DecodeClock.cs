namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// Counts simulated decode steps (a fake sampler's lock-step token, a fake verifier's batch) across every
/// fake that shares it, and runs a hook after each, so a test can cancel at step k and count the steps
/// that still run.
/// </summary>
public sealed class DecodeClock
{
    private long _ticks;

    /// <summary>Steps so far.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Runs after each step with the step's number (1-based).</summary>
    public Action<long>? OnTick { get; set; }

    /// <summary>Records one step.</summary>
    public void Tick()
    {
        // Counted first: a null-conditional call would skip evaluating its argument.
        long tick = Interlocked.Increment(ref _ticks);
        OnTick?.Invoke(tick);
    }
}
