using System.Diagnostics;
using TestTimeScaling.Arithmetic;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// Cancellation on the real engine and reward model: the token is cancelled from the engine's own decode-step hook
/// (or the reward model's forward-pass hook) at step k, and the steps that still run are counted.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class CancellationOnEmbeddedModelsTests(EmbeddedModelsFixture models, ITestOutputHelper output)
{
    private static readonly Problem Problem = EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 3)[0].ToProblem();

    private static readonly Dictionary<string, Func<ScalingBuilder, ScalingPipeline>> Strategies = new()
    {
        ["self-consistency"] = b => b.SelfConsistency(4),
        ["best-of-n"] = b => b.BestOfN(8),
        ["weighted-best-of-n"] = b => b.WeightedBestOfN(8),
        ["first-finish"] = b => b.FirstFinish(4),
        ["beam-search"] = b => b.BeamSearch(beamWidth: 2, expansions: 4),
        ["dvts"] = b => b.Dvts(subtrees: 2, width: 4),
        ["particle-filtering"] = b => b.ParticleFiltering(particles: 8),
    };

    public static TheoryData<string> Names => [.. Strategies.Keys];

    private ScalingPipeline Pipeline(string name, IVerifier? verifier = null) =>
        Strategies[name](Scale.With(models.Sampler)
            .Verifier(verifier ?? models.Verifier)
            .Extractor(ArithmeticAnswerExtractor.Instance)
            .Sampling(new SamplingOptions { Temperature = 0.8, MaxNewTokens = 100, Seed = 3 })
            .Budget(Budget.Samples(8)));

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Cancelling_at_a_decode_step_stops_the_strategy_before_the_next_step(string name)
    {
        foreach (long k in new long[] { 1, 9, 23 })
        {
            using var cts = new CancellationTokenSource();
            long start = models.Sampler.DecodeSteps, prmStart = models.Verifier.ForwardPasses, prmAtCancel = -1;
            models.Sampler.DecodeStepCompleted = step =>
            {
                if (step - start == k) { prmAtCancel = models.Verifier.ForwardPasses; cts.Cancel(); }
            };
            try
            {
                var e = await Record.ExceptionAsync(() => Pipeline(name).SolveAsync(Problem, cts.Token));
                long after = models.Sampler.DecodeSteps - start - k;
                if (prmAtCancel < 0) continue; // the run ended before step k
                Assert.IsType<SearchCanceledException>(e);
                Assert.True(after <= 2, $"{name}: {after} decode steps ran after cancelling at step {k}");
                Assert.Equal(prmAtCancel, models.Verifier.ForwardPasses);
                Assert.True(((SearchCanceledException)e!).Partial.Usage.GeneratedTokens > 0);
                output.WriteLine($"{name}: cancelled at decode step {k}: {after} decode steps and {models.Verifier.ForwardPasses - prmAtCancel} PRM passes after");
            }
            finally
            {
                models.Sampler.DecodeStepCompleted = null;
            }
        }
    }

    [Theory]
    [InlineData("best-of-n")]
    [InlineData("beam-search")]
    [InlineData("dvts")]
    [InlineData("particle-filtering")]
    public async Task Cancelling_inside_a_scoring_call_stops_it_before_the_next_forward_pass(string name)
    {
        // Small passes, so every scoring call takes several.
        var verifier = new ProcessRewardVerifier(models.Prm.Decoder, models.Prm.Tokenizer, models.Verifier.Options with { MaxTokensPerBatch = 64 });
        using var cts = new CancellationTokenSource();
        long at = -1;
        verifier.BatchScored = pass => { if (at < 0) { at = pass; cts.Cancel(); } };
        long decodeSteps = -1;
        verifier.BatchScored += _ => decodeSteps = models.Sampler.DecodeSteps;
        var e = await Assert.ThrowsAsync<SearchCanceledException>(() => Pipeline(name, verifier).SolveAsync(Problem, cts.Token));
        Assert.Equal(at, verifier.ForwardPasses);
        Assert.Equal(decodeSteps, models.Sampler.DecodeSteps);
        Assert.True(e.Partial.Usage.VerifierCalls > 0);
    }

    [Generation.EnvironmentFact("TTS_MEASURE")]
    public async Task Measure_one_reward_model_pass_against_one_decode_step()
    {
        // Not asserted (timings): prints what docs/exceptions.md reports.
        var pipeline = Pipeline("best-of-n");
        var result = await pipeline.SolveAsync(Problem);
        var solutions = result.Candidates.Select(c => c.Text).ToList();
        for (int warm = 0; warm < 3; warm++) await models.Sampler.SampleAsync(new SampleRequest { Prompt = Problem.Prompt, N = 8, Options = new() { MaxNewTokens = 100, Seed = warm } });
        var clock = Stopwatch.StartNew();
        long steps = models.Sampler.DecodeSteps;
        for (int r = 0; r < 5; r++) await models.Sampler.SampleAsync(new SampleRequest { Prompt = Problem.Prompt, N = 8, Options = new() { MaxNewTokens = 100, Seed = r } });
        double stepMs = clock.Elapsed.TotalMilliseconds / (models.Sampler.DecodeSteps - steps);
        output.WriteLine($"decode step (8 rows): {stepMs:F2} ms over {models.Sampler.DecodeSteps - steps} steps; solutions ~{solutions.Average(s => s.Length):F0} chars");
        foreach (var options in new[] { 1, 2, 4, 8 }.Select(b => models.Verifier.Options with { BatchSize = b, MaxTokensPerBatch = int.MaxValue })
                     .Append(models.Verifier.Options))
        {
            var prm = new ProcessRewardVerifier(models.Prm.Decoder, models.Prm.Tokenizer, options);
            prm.Score(Problem, solutions);
            long passes = prm.ForwardPasses;
            clock.Restart();
            for (int r = 0; r < 10; r++) prm.Score(Problem, solutions);
            double passMs = clock.Elapsed.TotalMilliseconds / (prm.ForwardPasses - passes);
            int layers = models.Prm.Config.NumHiddenLayers;
            output.WriteLine($"PRM pass (BatchSize {options.BatchSize}, MaxTokensPerBatch {options.MaxTokensPerBatch}): {passMs:F2} ms = {passMs / stepMs:F2} decode steps, " +
                $"one of its {layers} layers {passMs / layers / stepMs:F2} decode steps; {(prm.ForwardPasses - passes) / 10.0:F1} passes for {solutions.Count} solutions, {clock.Elapsed.TotalMilliseconds / 10:F1} ms per call");
        }
    }
}
