using TestTimeScaling.Torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>The kernels' worker pool: every part runs once, failures surface, the pool survives them, callers never deadlock.</summary>
public class KernelThreadsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void RunsEveryPartExactlyOnce(int parts)
    {
        var pool = new KernelThreads();
        for (int run = 0; run < 50; run++)
        {
            var counts = new int[parts];
            pool.Run(parts, part => Interlocked.Increment(ref counts[part]));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void PartsRunConcurrentlyOnTheWorkers()
    {
        // Each part waits for the other to start: only two threads running at once get both through. Whichever part
        // the caller claims, a worker (even one that was asleep, or whose thread starts only now) must run the other.
        var pool = new KernelThreads();
        for (int run = 0; run < 3; run++)
        {
            using var barrier = new Barrier(2);
            var threads = new int[2];
            pool.Run(2, part =>
            {
                threads[part] = Environment.CurrentManagedThreadId;
                Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "the other part never started");
            });
            Assert.NotEqual(threads[0], threads[1]);
            Thread.Sleep(5);
        }
    }

    [Fact]
    public unsafe void RunsAFunctionPointerWithItsState()
    {
        var pool = new KernelThreads();
        long* sums = stackalloc long[4];
        for (int run = 0; run < 100; run++)
        {
            for (int p = 0; p < 4; p++) sums[p] = 0;
            pool.Run(4, &AddPartPlusOne, (nint)sums);
            for (int p = 0; p < 4; p++) Assert.Equal(p + 1, sums[p]);
        }
    }

    private static unsafe void AddPartPlusOne(nint state, int part) => ((long*)state)[part] += part + 1;

    [Fact]
    public void AFailingPartSurfacesAndThePoolKeepsWorking()
    {
        var pool = new KernelThreads();
        var ran = new int[3];
        var error = Assert.Throws<AggregateException>(() => pool.Run(3, part =>
        {
            Interlocked.Increment(ref ran[part]);
            if (part == 1) throw new InvalidOperationException("part 1");
        }));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.All(ran, c => Assert.Equal(1, c)); // the other parts still ran
        RunsEveryPartExactlyOnceOn(pool, 3);
    }

    [Fact]
    public void AFailingPartOfACallerThatRunsInlineSurfacesToo()
    {
        var pool = new KernelThreads();
        // A part that runs the pool again from its own thread runs inline (the pool is held); its failure surfaces
        // through both runs.
        var error = Assert.Throws<AggregateException>(() => pool.Run(2, part =>
        {
            if (part == 0) pool.Run(2, inner => { if (inner == 1) throw new InvalidOperationException("inner"); });
        }));
        Assert.IsType<InvalidOperationException>(Assert.IsType<AggregateException>(error.InnerException).InnerException);
        RunsEveryPartExactlyOnceOn(pool, 2);
    }

    [Fact]
    public void NestedRunsOnTheCallingThreadDoNotTakeOverTheRunInFlight()
    {
        var pool = new KernelThreads();
        var outer = new int[2];
        var inner = new int[2 * 3];
        pool.Run(2, part =>
        {
            pool.Run(3, sub => Interlocked.Increment(ref inner[part * 3 + sub]));
            Interlocked.Increment(ref outer[part]);
        });
        Assert.All(outer, c => Assert.Equal(1, c));
        Assert.All(inner, c => Assert.Equal(1, c));
    }

    [Fact]
    public void WorkersThatBlockedAreWokenForTheNextRun()
    {
        var saved = KernelThreads.SpinWindow;
        try
        {
            // No spinning: every worker blocks as soon as it is idle, so each run goes through the wake-up.
            KernelThreads.SpinWindow = TimeSpan.Zero;
            var pool = new KernelThreads();
            for (int run = 0; run < 200; run++)
            {
                if (run % 50 == 0) Thread.Sleep(5); // let the workers fall asleep
                RunsEveryPartExactlyOnceOn(pool, 3);
            }
        }
        finally
        {
            KernelThreads.SpinWindow = saved;
        }
    }

    [Fact]
    public void ANegativeSpinWindowIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.SpinWindow = TimeSpan.FromTicks(-1));

    [Fact]
    public async Task ManyConcurrentCallersFinishWithoutDeadlock()
    {
        // Far more busy threads than cores: workers are descheduled for whole time slices, yet every caller finishes
        // (parts are claimed, so the caller runs whatever a sleeping worker has not taken).
        var pool = new KernelThreads();
        var callers = Enumerable.Range(0, 12).Select(_ => Task.Factory.StartNew(() =>
        {
            for (int run = 0; run < 300; run++) RunsEveryPartExactlyOnceOn(pool, 2 + run % 3);
        }, TaskCreationOptions.LongRunning));
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void TooManyPartsAreRefused()
    {
        var pool = new KernelThreads();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(KernelThreads.MaxParts + 1, _ => { }));
    }

    private static void RunsEveryPartExactlyOnceOn(KernelThreads pool, int parts)
    {
        var counts = new int[parts];
        pool.Run(parts, part => Interlocked.Increment(ref counts[part]));
        Assert.All(counts, c => Assert.Equal(1, c));
    }
}
