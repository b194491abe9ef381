namespace TestTimeScaling.Tests.Fakes;

public class ScriptedSamplerTests
{
    private static readonly Problem P = FakeArithmetic.Make(3);

    [Fact]
    public async Task Error_free_sampler_writes_the_reference_answer()
    {
        var r = await new ScriptedSampler(0).SampleAsync(new SampleRequest { Prompt = P.Prompt, Options = new() { Seed = 1 } });
        Assert.Equal(P.ReferenceAnswer, LastLineAnswerExtractor.Default.Extract(r.Completions[0].Text));
        Assert.Equal(FinishReason.Stop, r.Completions[0].FinishReason);
        Assert.Equal(r.Completions[0].Text.Length, r.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Step_delimiter_pauses_and_prefixes_continue()
    {
        var s = new ScriptedSampler(0);
        var opts = new SamplingOptions { Seed = 1, StepDelimiter = "\n" };
        var first = await s.SampleAsync(new SampleRequest { Prompt = P.Prompt, N = 2, Options = opts });
        Assert.All(first.Completions, c => Assert.Equal(FinishReason.StepBoundary, c.FinishReason));
        var second = await s.SampleAsync(new SampleRequest { Prompt = P.Prompt, Prefixes = [first.Completions[0].Text], Options = opts });
        Assert.Equal(0, second.Completions[0].PrefixIndex);
        Assert.EndsWith("\n", second.Completions[0].Text);
    }

    [Fact]
    public async Task Stop_after_finished_abandons_the_rest_and_charges_what_they_generated()
    {
        var s = new ScriptedSampler(0.5);
        var r = await s.SampleAsync(new SampleRequest { Prompt = P.Prompt, N = 8, StopAfterFinished = 1, Options = new() { Seed = 4 } });
        int finished = r.Completions.Count(c => c.FinishReason != FinishReason.Abandoned);
        Assert.InRange(finished, 1, 8);
        int len = r.Completions.Where(c => c.FinishReason != FinishReason.Abandoned).Min(c => c.GeneratedTokens);
        Assert.All(r.Completions, c => Assert.True(c.GeneratedTokens <= len));
        Assert.Equal(r.Completions.Sum(c => c.GeneratedTokens), r.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Same_seed_same_text()
    {
        var req = new SampleRequest { Prompt = P.Prompt, N = 4, Options = new() { Seed = 9 } };
        var a = await new ScriptedSampler(0.5).SampleAsync(req);
        var b = await new ScriptedSampler(0.5).SampleAsync(req);
        Assert.Equal(a.Completions.Select(c => c.Text), b.Completions.Select(c => c.Text));
    }
}
