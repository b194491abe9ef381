using TestTimeScaling.Samples.Scaling;

namespace TestTimeScaling.Samples.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void FromAloneAsksForARenderOnly()
    {
        var command = new ScalingCommand();
        var parse = command.Root.Parse(["--from", "out/scaling/results.json"]);
        Assert.Empty(parse.Errors);
        Assert.Equal("out/scaling/results.json", command.RenderFrom(parse));
        Assert.Null(command.RenderFrom(command.Root.Parse([])));
    }

    [Fact]
    public void FromWithRunOptionsIsRefusedNamingThem()
    {
        var parse = new ScalingCommand().Root.Parse(["--from", "r.json", "--problems", "3"]);
        Assert.Contains(parse.Errors, e => e.Message.Contains("--problems", StringComparison.Ordinal) && e.Message.Contains("--from", StringComparison.Ordinal));
    }

    [Fact]
    public void TracesAreBoundAndTheirBudgetMustBeRun()
    {
        var command = new ScalingCommand();
        var options = command.Bind(command.Root.Parse(["--traces", "5", "--trace-budget", "4", "--budgets", "1,4"]));
        Assert.Equal(5, options.TraceProblems);
        Assert.Equal(4, options.TraceBudget);
        var bad = command.Root.Parse(["--trace-budget", "8", "--budgets", "1,4"]);
        Assert.Contains(bad.Errors, e => e.Message.Contains("--trace-budget 8", StringComparison.Ordinal));
        Assert.Equal(4, TraceRecorder.PickBudget(null, [1, 2, 4, 8]));
        Assert.Equal(2, TraceRecorder.PickBudget(null, [1, 2]));
        Assert.Equal(8, TraceRecorder.PickBudget(null, [8, 32]));
        // Traced problems: the middle of equal slices, so 3 of 90 (18 per level, in level order) are of levels 1, 3 and 5.
        Assert.Equal([15, 45, 75], TraceRecorder.Spread(3, 90));
        Assert.Equal([0, 1, 2], TraceRecorder.Spread(3, 3));
        Assert.Empty(TraceRecorder.Spread(0, 90));
    }

    [Fact]
    public void ConcurrencyIsBoundWithItsDefaultAndItsRangeIsChecked()
    {
        var command = new ScalingCommand();
        Assert.Equal(new ScalingOptions().Concurrency, command.Bind(command.Root.Parse([])).Concurrency);
        Assert.Equal(3, command.Bind(command.Root.Parse(["--concurrency", "3"])).Concurrency);
        Assert.Contains(command.Root.Parse(["--concurrency", "0"]).Errors, e => e.Message.Contains("--concurrency", StringComparison.Ordinal));
        Assert.Contains(new ScalingCommand().Root.Parse(["--from", "r.json", "--concurrency", "2"]).Errors, e => e.Message.Contains("--concurrency", StringComparison.Ordinal));
    }

    [Fact]
    public void AllocatorRowsNeedMajorityAndRunAfterIt()
    {
        var command = new ScalingCommand();
        var bad = command.Root.Parse(["--strategies", "allocator,single"]);
        Assert.Contains(bad.Errors, e => e.Message.Contains("'allocator' needs 'majority'", StringComparison.Ordinal));
        // Named in any order, they run in catalog order: majority@N's tokens are known before the allocator's cell at N.
        var options = command.Bind(command.Root.Parse(["--strategies", "allocator-weighted,allocator,majority"]));
        Assert.Equal(["majority", "allocator", "allocator-weighted"], options.Strategies);
        var defaults = StrategyCatalog.DefaultNames.ToList();
        Assert.True(defaults.IndexOf("majority") >= 0 && defaults.IndexOf("majority") < defaults.IndexOf("allocator"));
        Assert.DoesNotContain("allocator-weighted", defaults);
    }
}
