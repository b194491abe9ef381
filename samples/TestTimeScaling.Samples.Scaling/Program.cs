// The main job: every test-time scaling strategy on the embedded arithmetic policy and process reward model,
// over held-out problems at budgets 1..32; prints a table and writes results.json, results.csv, traces.json, scaling.png,
// coverage.png and report.html. "--from out/scaling/results.json" re-renders a finished run without running anything.
//   dotnet run -c Release --project samples/TestTimeScaling.Samples.Scaling [-- --problems 30 --budgets 1,2,4 ...]
using System.CommandLine;
using TestTimeScaling.Samples.Scaling;

var command = new ScalingCommand();
command.Root.SetAction(async parse =>
{
    if (command.RenderFrom(parse) is { } from)
    {
        try { return RunPresentation.Render(from); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
    var options = command.Bind(parse);
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
});

// The program handles Ctrl+C itself (above); System.CommandLine's own handler would end the process before the report.
var parseResult = command.Root.Parse(args);
return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
