// The main job: every test-time scaling strategy on the embedded arithmetic policy and process reward model,
// over held-out problems at budgets 1..32; prints a table and writes results.json, results.csv and scaling.png.
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Scaling [-- --problems 30 --budgets 1,2,4 ...]
using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Samples.Scaling;

ScalingOptions options;
try
{
    options = ScalingOptions.Parse(args);
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(ScalingOptions.Usage);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C drops the problem in progress and still reports and writes what was done; a second one kills.
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
    Console.Error.WriteLine();
    Console.Error.WriteLine("Stopping; finished problems will be reported (Ctrl+C again to quit at once)...");
};

try
{
    return await StudyRun.RunAsync(options, args, cancel.Token);
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException
    or ArgumentException or TestTimeScaling.Torch.CheckpointMismatchException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
