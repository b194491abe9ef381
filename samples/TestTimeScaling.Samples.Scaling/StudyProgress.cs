using System.Diagnostics;
using System.Globalization;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Shows how far the study is: on a terminal, a live display with the whole study (cells done, time left for all of
/// it) and the current strategy × budget cell (problems, accuracy so far); when the output is redirected, only the
/// finished line of each cell, with the study's time left, so logs stay readable.
/// </summary>
public sealed class StudyProgress
{
    private readonly PhaseProgress _display;
    private readonly StudyEstimate _estimate;
    private readonly int _cells;
    private readonly PhaseProgress.Phase _study;
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Stopwatch _problem = new();
    private PhaseProgress.Phase? _current;
    private string _cell = "";
    private int _index;
    private int _finished;

    internal StudyProgress(PhaseProgress display, StudyEstimate estimate, int cells)
    {
        _display = display;
        _estimate = estimate;
        _cells = cells;
        _study = display.Start("study", estimate.TotalWeight);
    }

    /// <summary>Runs <paramref name="body"/> with progress for <paramref name="cells"/> over <paramref name="problems"/> problems each.</summary>
    public static Task<T> RunAsync<T>(IReadOnlyList<(string Strategy, int Budget)> cells, int problems, Func<StudyProgress, Task<T>> body) =>
        PhaseProgress.RunAsync(display => body(new StudyProgress(display, new StudyEstimate(cells, problems), cells.Count)));

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _total.Elapsed;

    /// <summary>A cell starts.</summary>
    public void Start(int cell, int cells, string strategy, int budget, int problems)
    {
        _index = cell - 1;
        _cell = string.Create(CultureInfo.InvariantCulture, $"[{cell,2}/{cells}] {strategy,-18} N={budget,-3}");
        _current = _display.IsLive ? _display.Start(_cell, problems) : null;
        _problem.Restart();
        UpdateStudy();
    }

    /// <summary>
    /// A problem of the current cell is done (the runner calls it in problem order, one call at a time, whichever lane
    /// solved it); its time is the wall time since the previous one, the cell's time shared over its problems.
    /// </summary>
    public void Advance(int done, int problems, int correct)
    {
        _estimate.Record(_index, _problem.Elapsed.TotalSeconds);
        _problem.Restart();
        _current?.Update(done, string.Create(CultureInfo.InvariantCulture, $"{100.0 * correct / Math.Max(1, done),5:F1}% correct"));
        UpdateStudy();
    }

    /// <summary>The current cell is done: leave its summary on its own line.</summary>
    public void Finish(CellResult cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        _current?.Finish();
        _current?.Remove();
        _current = null;
        _finished++;
        UpdateStudy();
        _display.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_cell}  {cell.Problems.Count,3} problems  {100 * cell.Accuracy.Mean,5:F1}% correct  {cell.MeanGeneratedTokens,7:F0} tokens/problem  {cell.WallSeconds,6:F1} s  elapsed {Elapsed:hh\\:mm\\:ss}  study time left {PhaseProgress.Format(_estimate.TimeLeft())}"));
    }

    private void UpdateStudy() =>
        _study.Update(_estimate.DoneWeight, $"{_finished}/{_cells} runs done", _estimate.TimeLeft());
}
