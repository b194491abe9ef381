namespace TestTimeScaling.Server;

/// <summary>
/// Requests and sample rows in flight, and the limits on both: a request that would pass either limit is
/// refused at once (429) rather than queued without bound. Also counts finished and cancelled requests for
/// <c>/health</c>.
/// </summary>
internal sealed class ServerActivity
{
    private readonly object _lock = new();
    private readonly int _maxRequests;
    private readonly int _maxRows;
    private int _requests;
    private int _rows;
    private long _completed;
    private long _cancelled;

    public ServerActivity(ServerOptions options)
    {
        _maxRequests = options.MaxConcurrentRequests;
        _maxRows = options.MaxRowsInFlight;
    }

    public int RequestsInFlight { get { lock (_lock) return _requests; } }

    public int RowsInFlight { get { lock (_lock) return _rows; } }

    public long CompletedRequests => Interlocked.Read(ref _completed);

    public long CancelledRequests => Interlocked.Read(ref _cancelled);

    /// <summary>Admits a request of <paramref name="rows"/> sample rows, or throws a 429.</summary>
    public Lease Enter(int rows)
    {
        lock (_lock)
        {
            if (_requests >= _maxRequests)
                throw ApiError.Busy($"The server is serving its limit of {_maxRequests} concurrent requests; retry later.");
            if (_rows + rows > _maxRows)
                throw ApiError.Busy($"The request needs {rows} sample rows and {_rows} of the server's {_maxRows} are in flight; retry later.");
            _requests++;
            _rows += rows;
        }
        return new Lease(this, rows);
    }

    private void Leave(int rows, bool cancelled)
    {
        lock (_lock)
        {
            _requests--;
            _rows -= rows;
        }
        if (cancelled) Interlocked.Increment(ref _cancelled);
        else Interlocked.Increment(ref _completed);
    }

    /// <summary>A place in the server; dispose to leave it.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ServerActivity _owner;
        private readonly int _rows;
        private bool _left;

        internal Lease(ServerActivity owner, int rows)
        {
            _owner = owner;
            _rows = rows;
        }

        /// <summary>Set when the client went away before its answer.</summary>
        public bool Cancelled { get; set; }

        public void Dispose()
        {
            if (_left) return;
            _left = true;
            _owner.Leave(_rows, Cancelled);
        }
    }
}
