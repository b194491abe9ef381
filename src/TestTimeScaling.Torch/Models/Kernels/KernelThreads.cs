namespace TestTimeScaling.Torch;

/// <summary>
/// A few long-lived threads that run the parts of a managed CPU kernel beside the calling thread. A batch-1 decode
/// step calls a kernel about fifty times; waking thread-pool threads for each costs tens of microseconds, so the
/// workers spin briefly on their start signal before they block.
/// </summary>
/// <remarks>
/// One caller at a time: a second thread that calls <see cref="Run"/> while a run is in flight runs all its parts
/// itself (correct, only slower), so two engines on two threads never wait on each other here.
/// </remarks>
internal sealed class KernelThreads
{
    /// <summary>Spins of a waiting worker before it blocks (about 100 µs on this class of machine).</summary>
    private const int SpinCount = 2000;

    /// <summary>The process-wide workers.</summary>
    public static KernelThreads Shared { get; } = new();

    private readonly object _gate = new();
    private readonly List<Worker> _workers = [];
    private readonly ManualResetEventSlim _done = new(false, SpinCount);
    private Action<int>? _body;
    private int _pending;
    private Exception? _failure;

    /// <summary>Runs <paramref name="body"/>(0 .. parts-1), part 0 on the calling thread, and returns when all are done.</summary>
    /// <exception cref="AggregateException">A part threw; the others still ran to completion.</exception>
    public void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || !Monitor.TryEnter(_gate))
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        try
        {
            while (_workers.Count < parts - 1) _workers.Add(new Worker(this, _workers.Count + 1));
            _body = body;
            _failure = null;
            _done.Reset();
            Volatile.Write(ref _pending, parts - 1);
            for (int w = 0; w < parts - 1; w++) _workers[w].Start.Set();
            RunPart(0);
            _done.Wait();
            _body = null;
            if (_failure is { } failure) throw new AggregateException("A kernel part failed.", failure);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void RunPart(int part)
    {
        try
        {
            _body!(part);
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
        }
    }

    private void Finish()
    {
        if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
    }

    private sealed class Worker
    {
        public Worker(KernelThreads owner, int part)
        {
            var thread = new Thread(() =>
            {
                while (true)
                {
                    Start.Wait();
                    Start.Reset();
                    owner.RunPart(part);
                    owner.Finish();
                }
            })
            {
                IsBackground = true,
                Name = $"TestTimeScaling kernel {part}",
            };
            thread.Start();
        }

        public ManualResetEventSlim Start { get; } = new(false, SpinCount);
    }
}
