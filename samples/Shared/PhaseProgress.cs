using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace TestTimeScaling.Samples;

/// <summary>
/// Progress of a long run in phases, each with an estimate of the time it has left. On a terminal, a Spectre.Console
/// live display (a bar per phase, elapsed time, time left) with log lines printed above it; when the output is
/// redirected (a log, CI), nothing live: only the lines the program writes, so logs stay readable.
/// </summary>
internal sealed class PhaseProgress
{
    private readonly ProgressContext? _context;

    private PhaseProgress(ProgressContext? context) => _context = context;

    /// <summary>Whether the live display is used: stdout is a terminal that Spectre.Console can redraw.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Whether this run draws the live display (else the caller's lines are all there is).</summary>
    public bool IsLive => _context is not null;

    /// <summary>Runs <paramref name="body"/> under the live display when the console allows it.</summary>
    public static async Task<T> RunAsync<T>(Func<PhaseProgress, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Interactive) return await body(new PhaseProgress(null)).ConfigureAwait(false);
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new TimeLeftColumn())
            .StartAsync(context => body(new PhaseProgress(context)))
            .ConfigureAwait(false);
    }

    /// <summary>Starts a phase of <paramref name="total"/> units of work (steps, problems, weighted cells).</summary>
    public Phase Start(string description, double total) =>
        new(_context, _context?.AddTask(Markup.Escape(description), autoStart: true, maxValue: Math.Max(total, 1e-9)), description, total);

    /// <summary>Writes a line: above the live display, or plainly.</summary>
    public void WriteLine(string text)
    {
        if (_context is null) Console.WriteLine(text);
        else AnsiConsole.WriteLine(text);
    }

    /// <summary>Formats a time left: <c>~4:05</c>, <c>~1:02:03</c>, or <c>?</c> before there is anything to go on.</summary>
    public static string Format(TimeSpan? timeLeft) => timeLeft is not { } t
        ? "?"
        : "~" + (t.TotalHours >= 1
            ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
            : t.ToString(@"m\:ss", CultureInfo.InvariantCulture));

    /// <summary>One phase: what is done of it, and how long the rest should take.</summary>
    internal sealed class Phase
    {
        private readonly ProgressContext? _context;
        private readonly ProgressTask? _task;
        private readonly string _description;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _given;

        internal Phase(ProgressContext? context, ProgressTask? task, string description, double total)
        {
            _context = context;
            _task = task;
            _description = description;
            Total = total;
            if (_task is not null) _task.Tag = this;
        }

        /// <summary>Units of work in the phase.</summary>
        public double Total { get; }

        /// <summary>Units done so far.</summary>
        public double Done { get; private set; }

        /// <summary>Time since the phase started.</summary>
        public TimeSpan Elapsed => _clock.Elapsed;

        /// <summary>
        /// The caller's estimate when it gave one (it knows the cost of what is left), else the phase's own pace so
        /// far applied to the rest: elapsed / done × (total − done). Null until something is done.
        /// </summary>
        public TimeSpan? TimeLeft =>
            Done >= Total ? TimeSpan.Zero
            : _given ?? (Done > 0 ? TimeSpan.FromSeconds(Elapsed.TotalSeconds / Done * (Total - Done)) : null);

        /// <summary>Records progress; <paramref name="detail"/> shows beside the phase's name on the live display.</summary>
        public void Update(double done, string? detail = null, TimeSpan? timeLeft = null)
        {
            Done = Math.Clamp(done, 0, Total);
            _given = timeLeft;
            if (_task is null) return;
            _task.Value = Done;
            if (detail is not null) _task.Description = Markup.Escape($"{_description}  {detail}");
        }

        /// <summary>Marks the phase done.</summary>
        public void Finish(string? detail = null)
        {
            Update(Total, detail);
            _task?.StopTask();
        }

        /// <summary>Takes the phase off the live display (a summary line usually replaces it).</summary>
        public void Remove()
        {
            if (_task is not null) _context?.RemoveTask(_task);
        }
    }

    /// <summary>Shows <see cref="Phase.TimeLeft"/>, which may come from the caller's own estimate.</summary>
    private sealed class TimeLeftColumn : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.Tag is Phase phase
                ? new Text(phase.Done >= phase.Total ? "done" : $"{Format(phase.TimeLeft)} left", new Style(Color.Blue))
                : Text.Empty;
    }
}
