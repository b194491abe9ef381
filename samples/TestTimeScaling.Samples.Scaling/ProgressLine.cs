using System.Diagnostics;
using System.Globalization;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Shows how far the run is: on a terminal, one line per strategy × budget that updates in place as problems
/// finish; when the output is redirected (a log, CI), only the finished line of each cell, so logs stay readable.
/// </summary>
public sealed class ProgressLine
{
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Stopwatch _sinceDraw = new();
    private string _cell = "";
    private int _lastWidth;

    /// <summary>Writes to <paramref name="output"/>; updates in place only when <paramref name="interactive"/>.</summary>
    public ProgressLine(TextWriter output, bool interactive)
    {
        _out = output;
        _interactive = interactive;
    }

    /// <summary>For the console: in place unless stdout is redirected.</summary>
    public static ProgressLine ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _total.Elapsed;

    /// <summary>A cell starts.</summary>
    public void Start(int cell, int cells, string strategy, int budget, int problems)
    {
        _cell = string.Create(CultureInfo.InvariantCulture, $"[{cell,2}/{cells}] {strategy,-18} N={budget,-3}");
        _sinceDraw.Restart();
        Draw($"{_cell}  {0,3}/{problems} problems", force: true);
    }

    /// <summary>A problem of the current cell is done.</summary>
    public void Advance(int done, int problems, int correct)
    {
        // Redraw at most five times a second: the console is slow next to a fast cell.
        if (done < problems && _sinceDraw.ElapsedMilliseconds < 200) return;
        _sinceDraw.Restart();
        Draw(string.Create(CultureInfo.InvariantCulture,
            $"{_cell}  {done,3}/{problems} problems  {100.0 * correct / Math.Max(1, done),5:F1}% correct"), force: false);
    }

    /// <summary>The current cell is done: leave its summary on its own line.</summary>
    public void Finish(CellResult cell)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_cell}  {cell.Problems.Count,3} problems  {100 * cell.Accuracy.Mean,5:F1}% correct  {cell.MeanGeneratedTokens,7:F0} tokens/problem  {cell.WallSeconds,6:F1} s  elapsed {Elapsed:hh\\:mm\\:ss}");
        if (_interactive) _out.Write('\r');
        _out.WriteLine(line.PadRight(_lastWidth));
        _lastWidth = 0;
    }

    private void Draw(string text, bool force)
    {
        if (!_interactive) return;
        string line = text + string.Create(CultureInfo.InvariantCulture, $"  {Elapsed:hh\\:mm\\:ss}");
        // Pad over the previous, longer text so no stale characters remain after the carriage return.
        _out.Write('\r' + line.PadRight(_lastWidth));
        _lastWidth = line.Length;
        if (force) _out.Flush();
    }
}
