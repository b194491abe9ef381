namespace TestTimeScaling.Torch;

/// <summary>
/// A few long-lived threads that run the parts of a managed CPU kernel beside the calling thread. A batch-1 decode
/// step calls a kernel about fifty times; waking thread-pool threads for each costs tens of microseconds, so the
/// workers spin briefly on their start signal before they block.
/// </summary>
/// <remarks>
/// Parts are claimed, not assigned: the caller claims parts too, so a worker that the operating system has not
/// scheduled yet (a loaded machine) never holds the caller up; it finds nothing left and goes back to waiting. One
/// caller at a time: a second thread that calls <see cref="Run"/> while a run is in flight runs all its parts
/// itself (correct, only slower), so two engines on two threads never wait on each other here.
/// </remarks>
internal sealed class KernelThreads
{
    /// <summary>Spins of a waiting worker before it blocks (a fraction of a millisecond).</summary>
    private const int SpinCount = 2000;

    /// <summary>The process-wide workers.</summary>
    public static KernelThreads Shared { get; } = new();

    private readonly object _gate = new();
    private readonly List<ManualResetEventSlim> _starts = [];
    private Job? _job;

    /// <summary>Runs <paramref name="body"/>(0 .. parts-1) on the calling thread and up to parts-1 workers; returns when all are done.</summary>
    /// <exception cref="AggregateException">A part threw; the other parts still ran.</exception>
    public void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || !Monitor.TryEnter(_gate))
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        try
        {
            while (_starts.Count < parts - 1) StartWorker();
            var job = new Job(body, parts);
            Volatile.Write(ref _job, job);
            for (int w = 0; w < parts - 1; w++) _starts[w].Set();
            job.Work();
            // What is left is in the hands of a worker that has started it: wait for that part only.
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Completed) < parts) spin.SpinOnce();
            // Every part is done: let go of what the body captured (a late worker then finds no job).
            Volatile.Write(ref _job, null);
            if (job.Failure is { } failure) throw new AggregateException("A kernel part failed.", failure);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void StartWorker()
    {
        var start = new ManualResetEventSlim(false, SpinCount);
        _starts.Add(start);
        var thread = new Thread(() =>
        {
            while (true)
            {
                start.Wait();
                start.Reset();
                Volatile.Read(ref _job)?.Work();
            }
        })
        {
            IsBackground = true,
            Name = $"TestTimeScaling kernel {_starts.Count}",
        };
        thread.Start();
    }

    private sealed class Job(Action<int> body, int parts)
    {
        public int Next;
        public int Completed;
        public Exception? Failure;

        // Claims and runs parts until none is left; a worker that arrives late (or at an old job) finds none.
        public void Work()
        {
            int part;
            while ((part = Interlocked.Increment(ref Next) - 1) < parts)
            {
                try
                {
                    body(part);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref Failure, ex, null);
                }
                Interlocked.Increment(ref Completed);
            }
        }
    }
}
