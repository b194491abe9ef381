using TestTimeScaling.OpenAI.Tests.Infrastructure;
using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>The remote sampler and verifier against the project's own server over real HTTP, compared with the same models in process.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class ServerEndToEndTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    [Fact]
    public async Task The_sampler_contract_holds_over_http()
    {
        var sampler = fixture.Sampler();
        var request = new SampleRequest { Prompt = Prompt, N = 4, Options = new SamplingOptions { Seed = 7, MaxNewTokens = 80 } };

        var first = await sampler.SampleAsync(request);
        var again = await sampler.SampleAsync(request);

        Assert.Equal(4, first.Completions.Count);
        Assert.Equal(first.Completions.Select(c => c.Text), again.Completions.Select(c => c.Text)); // the seed reproduces
        Assert.True(first.Completions.Select(c => c.Text).Distinct().Count() > 1); // and the rows differ
        foreach (var c in first.Completions)
        {
            Assert.NotNull(c.Logprobs);
            Assert.Equal(c.GeneratedTokens, c.Logprobs!.Count);
            Assert.All(c.Logprobs, lp => Assert.True(lp <= 0));
        }
        Assert.Equal(first.Completions.Sum(c => (long)c.GeneratedTokens), first.Usage.GeneratedTokens);
        Assert.True(first.Usage.PromptTokens > 0);
        Assert.False(first.Usage.TokensEstimated);
        Assert.Equal(sampler.CountTokens(Prompt), fixture.Policy.CreateSampler().CountTokens(Prompt)); // the server's /tokenize

        var step = await sampler.SampleAsync(request with { N = 2, Options = request.Options with { StepDelimiter = "\n" } });
        Assert.All(step.Completions, c =>
        {
            Assert.Equal(FinishReason.StepBoundary, c.FinishReason);
            Assert.EndsWith("\n", c.Text);
            Assert.Single(c.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        });

        var stopped = await sampler.SampleAsync(request with { N = 1, Options = request.Options with { StopSequences = ["="] } });
        Assert.Equal(FinishReason.Stop, stopped.Completions[0].FinishReason);
        Assert.DoesNotContain("=", stopped.Completions[0].Text);
    }

    [Fact]
    public async Task Greedy_continuations_over_http_equal_the_engine_in_process_step_by_step()
    {
        var remote = fixture.Sampler();
        var local = fixture.Policy.CreateSampler();
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 60, StepDelimiter = "\n" };
        string prefix = "";
        for (int step = 0; step < 8; step++)
        {
            var request = new SampleRequest { Prompt = Prompt, Prefixes = [prefix], Options = options };
            var overHttp = (await remote.SampleAsync(request)).Completions.Single();
            var inProcess = (await local.SampleAsync(request)).Completions.Single();
            Assert.Equal(inProcess.Text, overHttp.Text);
            Assert.Equal(inProcess.FinishReason, overHttp.FinishReason);
            prefix += overHttp.Text;
            if (overHttp.FinishReason != FinishReason.StepBoundary) break;
        }
        Assert.Contains("A:", prefix);
    }

    [Fact]
    public async Task Self_consistency_over_http_returns_the_in_process_answer()
    {
        // One prefix, n rows, one seed: the same request the engine gets in process, so the very same samples.
        // The server refuses max_tokens beyond the context (256) where the engine would clamp: ask for what fits.
        var sampling = new SamplingOptions { Seed = 3, MaxNewTokens = 100 };
        var remote = await Scale.With(fixture.Sampler()).Extractor(LastLineAnswerExtractor.Default).Sampling(sampling).SelfConsistency(8).SolveAsync(Prompt);
        var local = await Scale.With(fixture.Policy.CreateSampler()).Extractor(LastLineAnswerExtractor.Default).Sampling(sampling).SelfConsistency(8).SolveAsync(Prompt);

        Assert.NotNull(local.Answer);
        Assert.Equal(local.Answer, remote.Answer);
        Assert.Equal(local.Candidates.Select(c => c.Text), remote.Candidates.Select(c => c.Text));
        Assert.Equal(local.Usage.GeneratedTokens, remote.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Greedy_beam_search_over_http_returns_the_in_process_answer()
    {
        var prm = fixture.Prm.CreateProcessVerifier();
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 100 };
        var remote = await Scale.With(fixture.Sampler()).Extractor(LastLineAnswerExtractor.Default).Verifier(prm).Sampling(greedy).BeamSearch(beamWidth: 2, expansions: 2).SolveAsync(Prompt);
        var local = await Scale.With(fixture.Policy.CreateSampler()).Extractor(LastLineAnswerExtractor.Default).Verifier(prm).Sampling(greedy).BeamSearch(beamWidth: 2, expansions: 2).SolveAsync(Prompt);

        Assert.Equal(SearchOutcome.Completed, remote.Outcome);
        Assert.NotNull(local.Answer);
        Assert.Equal(local.Answer, remote.Answer);
        Assert.Equal(local.Chosen!.Text, remote.Chosen!.Text);
    }

    [Fact]
    public async Task The_pooling_verifier_scores_like_the_prm_in_process()
    {
        var remote = new PoolingProcessVerifier(fixture.Http, new PoolingProcessVerifierOptions { Endpoint = fixture.BaseAddress, Model = "arithmetic-prm" });
        var local = fixture.Prm.CreateProcessVerifier();
        var samples = await fixture.Policy.CreateSampler().SampleAsync(new SampleRequest { Prompt = Prompt, N = 4, Options = new SamplingOptions { Seed = 5, MaxNewTokens = 80 } });
        var solutions = samples.Completions.Select(c => c.Text).ToList();
        var problem = new Problem(Prompt);

        var overHttp = await remote.ScoreAsync(problem, solutions);
        var inProcess = await local.ScoreAsync(problem, solutions);

        for (int i = 0; i < solutions.Count; i++)
        {
            Assert.Equal(inProcess[i].StepScores!.Count, overHttp[i].StepScores!.Count);
            for (int s = 0; s < overHttp[i].StepScores!.Count; s++)
                Assert.Equal(inProcess[i].StepScores![s], overHttp[i].StepScores![s], 4);
            Assert.Equal(inProcess[i].Value, overHttp[i].Value, 4);
        }
    }

    [Fact]
    public async Task Stop_after_finished_streams_from_this_server_and_abandons_the_other_rows_mid_sample()
    {
        // The server streams plain requests token by token, so the sampler's early stop cuts the other rows short.
        var sampler = fixture.Sampler(configure: o => o with { MaxRowsPerRequest = 8 });
        var request = new SampleRequest { Prompt = Prompt, N = 8, StopAfterFinished = 1, Options = new SamplingOptions { Seed = 21, Temperature = 1, MaxNewTokens = 200 } };
        var whole = await sampler.SampleAsync(request with { StopAfterFinished = null });
        var early = await sampler.SampleAsync(request);

        Assert.Contains(early.Completions, c => c.FinishReason == FinishReason.Abandoned);
        for (int i = 0; i < 8; i++)
        {
            var (all, cut) = (whole.Completions[i], early.Completions[i]);
            if (cut.FinishReason == FinishReason.Abandoned) Assert.StartsWith(cut.Text, all.Text);
            else Assert.Equal(all.Text, cut.Text);
        }
        Assert.True(early.Usage.GeneratedTokens < whole.Usage.GeneratedTokens,
            $"{early.Usage.GeneratedTokens} tokens with the early stop, {whole.Usage.GeneratedTokens} without");
    }

    [Theory]
    [InlineData("self-consistency")]
    [InlineData("best-of-n")]
    [InlineData("first-finish")]
    [InlineData("beam-search")]
    public async Task Budgets_hold_over_http_against_a_counting_upstream(string strategy)
    {
        // The counted upstream returns whole samples, so the server streams them whole and early stop would save nothing: say so.
        var sampler = fixture.Sampler("counted", o => o with { SupportsLogprobs = false, MaxRowsPerRequest = 3, StreamForStopAfterFinished = false });
        var builder = Scale.With(sampler).Extractor(LastLineAnswerExtractor.Default).Verifier(new FakePrm()).Seed(9).Sampling(new SamplingOptions { Seed = 9, MaxNewTokens = 40 }).Budget(new Budget(MaxGeneratedTokens: 150));
        var pipeline = strategy switch
        {
            "self-consistency" => builder.SelfConsistency(16),
            "best-of-n" => builder.BestOfN(16),
            "beam-search" => builder.BeamSearch(beamWidth: 2, expansions: 2, maxDepth: 30),
            _ => builder.FirstFinish(16),
        };
        long before = fixture.Counted.GeneratedTokens;

        var result = await pipeline.SolveAsync(FakeArithmetic.Make(3).Prompt);

        long served = fixture.Counted.GeneratedTokens - before;
        Assert.True(served > 0);
        Assert.True(served <= 150, $"the upstream generated {served} tokens for a budget of 150");
        Assert.Equal(served, result.Usage.GeneratedTokens);
        Assert.NotEmpty(result.Candidates);
    }
}
