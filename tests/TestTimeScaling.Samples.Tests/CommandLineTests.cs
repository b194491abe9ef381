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
    }
}
