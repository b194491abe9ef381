using System.Diagnostics;

namespace TestTimeScaling.Torch;

/// <summary>
/// A few long-lived threads that run the parts of a managed CPU kernel beside the calling thread. A batch-1 decode
/// step calls a kernel about fifty times back to back; waking a blocked thread for each costs tens of microseconds,
/// so after a part a worker keeps polling for the next job for <see cref="SpinWindow"/> before it blocks.
/// </summary>
/// <remarks>
/// Parts are claimed, not assigned: the caller claims parts too, so a worker that the operating system has not
/// scheduled yet (a loaded machine) never holds the caller up; it finds nothing left and goes back to waiting. A claim
/// is one compare-and-swap on a word that holds the job's generation, its part count and the next part, so a late
/// worker can never claim a part of a job that has already finished or run a part with another job's body. One caller
/// at a time: a second thread that calls <see cref="Run(int, Action{int})"/> while a run is in flight runs all its
/// parts itself (correct, only slower), so two engines on two threads never wait on each other here.
/// </remarks>
internal sealed unsafe class KernelThreads
{
    /// <summary>Most parts of one run (the claim word holds the count in 16 bits).</summary>
    public const int MaxParts = 1 << 15;

    /// <summary>The process-wide workers.</summary>
    public static KernelThreads Shared { get; } = new();

    /// <summary>
    /// How long an idle worker keeps polling for the next job before it blocks (default 200 µs). Consecutive products
    /// of a decode step are microseconds apart, so they find the worker awake; a step's other work (attention,
    /// sampling) rarely takes longer. Longer windows only burn a core that torch's own threads may want.
    /// </summary>
    public static TimeSpan SpinWindow
    {
        get => TimeSpan.FromTicks(s_spinTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(value));
            s_spinTicks = (long)(value.TotalSeconds * Stopwatch.Frequency);
        }
    }

    private static long s_spinTicks = Stopwatch.Frequency / 5000;

    private readonly object _gate = new();
    private readonly List<Worker> _workers = [];

    // The claim word: generation (high 32 bits), part count (bits 16-31), next unclaimed part (low 16 bits).
    private long _claim;
    private int _completed;
    private Exception? _failure;
    // The current job: a function pointer with its state, or a delegate. Written before the claim word is published
    // and read only by whoever then wins a claim of that generation.
    private delegate*<nint, int, void> _function;
    private nint _state;
    private Action<int>? _body;

    /// <summary>Runs <paramref name="body"/>(0 .. parts-1) on the calling thread and up to parts-1 workers; returns when all are done.</summary>
    /// <exception cref="AggregateException">A part threw; the other parts still ran.</exception>
    public void Run(int parts, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, MaxParts);
        if (parts <= 1 || !TryEnter())
        {
            RunInline(parts, body);
            return;
        }
        try
        {
            _body = body;
            RunHeld(parts);
        }
        finally
        {
            _body = null;
            Monitor.Exit(_gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="function"/>(<paramref name="state"/>, 0 .. parts-1) like <see cref="Run(int, Action{int})"/>
    /// without allocating: the hot path of the kernels. <paramref name="state"/> is typically the address of a struct
    /// on the caller's stack, which stays valid because this returns only after every part has finished.
    /// </summary>
    /// <exception cref="AggregateException">A part threw; the other parts still ran.</exception>
    public void Run(int parts, delegate*<nint, int, void> function, nint state)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, MaxParts);
        if (parts <= 1 || !TryEnter())
        {
            Exception? failure = null;
            for (int p = 0; p < parts; p++)
            {
                try { function(state, p); }
                catch (Exception ex) { failure ??= ex; }
            }
            if (failure is not null) throw new AggregateException("A kernel part failed.", failure);
            return;
        }
        try
        {
            _function = function;
            _state = state;
            RunHeld(parts);
        }
        finally
        {
            _function = null;
            _state = 0;
            Monitor.Exit(_gate);
        }
    }

    // Monitor is reentrant: a part that runs a kernel on the calling thread must not take over the job in flight.
    private bool TryEnter() => !Monitor.IsEntered(_gate) && Monitor.TryEnter(_gate);

    private static void RunInline(int parts, Action<int> body)
    {
        Exception? failure = null;
        for (int p = 0; p < parts; p++)
        {
            try { body(p); }
            catch (Exception ex) { failure ??= ex; }
        }
        if (failure is not null) throw new AggregateException("A kernel part failed.", failure);
    }

    // The caller holds the gate and has set the job's body.
    private void RunHeld(int parts)
    {
        while (_workers.Count < parts - 1) _workers.Add(new Worker(this, _workers.Count + 1));
        _completed = 0;
        _failure = null;
        long generation = (Volatile.Read(ref _claim) >>> 32) + 1;
        // The exchange is a full fence: the job's fields are visible before the word, and the sleeping flags read
        // below are read after it (a worker that goes to sleep sets its flag, then re-reads the word).
        Interlocked.Exchange(ref _claim, (generation << 32) | ((long)parts << 16));
        for (int w = 0; w < parts - 1; w++) _workers[w].WakeIfSleeping();
        WorkOn(generation);
        // What is left is in the hands of workers that have claimed it: wait for those parts only.
        var spin = new SpinWait();
        while (Volatile.Read(ref _completed) < parts) spin.SpinOnce(sleep1Threshold: -1);
        if (_failure is { } failure) throw new AggregateException("A kernel part failed.", failure);
    }

    /// <summary>Claims and runs parts of <paramref name="generation"/> until none is left; whether it ran any.</summary>
    private bool WorkOn(long generation)
    {
        bool ran = false;
        while (true)
        {
            long word = Volatile.Read(ref _claim);
            if (word >>> 32 != generation) return ran;
            int parts = (int)((word >> 16) & 0xFFFF), next = (int)(word & 0xFFFF);
            if (next >= parts) return ran;
            // Read the body before the claim: if the claim succeeds, the job was still open, so these are its fields.
            var function = _function;
            var state = _state;
            var body = _body;
            if (Interlocked.CompareExchange(ref _claim, word + 1, word) != word) continue;
            ran = true;
            try
            {
                if (function != null) function(state, next);
                else body!(next);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }
            Interlocked.Increment(ref _completed);
        }
    }

    private sealed class Worker
    {
        private readonly KernelThreads _pool;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
        private int _sleeping;
        // The generation current when the worker was made, read on the caller's thread: the job about to be published
        // is newer, so the worker takes part in it even if its thread starts only after the publication.
        private readonly long _born;

        public Worker(KernelThreads pool, int index)
        {
            _pool = pool;
            _born = Volatile.Read(ref pool._claim) >>> 32;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"TestTimeScaling kernel {index}" };
            thread.Start();
        }

        public void WakeIfSleeping()
        {
            if (Volatile.Read(ref _sleeping) != 0) _wake.Set();
        }

        private void Loop()
        {
            long seen = _born;
            long idleSince = Stopwatch.GetTimestamp();
            int polls = 0;
            while (true)
            {
                long generation = Volatile.Read(ref _pool._claim) >>> 32;
                if (generation != seen)
                {
                    seen = generation;
                    _pool.WorkOn(generation);
                    idleSince = Stopwatch.GetTimestamp();
                    polls = 0;
                    continue;
                }
                // Read the clock every few polls only: it costs about as much as a poll.
                if ((++polls & 63) != 0 || Stopwatch.GetTimestamp() - idleSince < s_spinTicks)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 1);
                // A job published before the flag was set did not wake us: look once more before blocking.
                if (Volatile.Read(ref _pool._claim) >>> 32 == seen) _wake.Wait();
                Volatile.Write(ref _sleeping, 0);
                idleSince = Stopwatch.GetTimestamp();
                polls = 0;
            }
        }
    }
}
