using TestTimeScaling.Models;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// The README's recipes, written here as they appear there (each is a whole console program after its usings
/// <c>TestTimeScaling</c>, <c>TestTimeScaling.Models</c> and <c>TestTimeScaling.Torch</c>), run against the embedded
/// models that the TestTimeScaling.Models project copies beside this test assembly, as the package does for an app.
/// tools/package-smoke.sh compiles the first one against the packed packages in a fresh console app.
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class ReadmeExamplesTests
{
    [Fact]
    public async Task Majority_vote_example_runs()
    {
        // README: majority vote (self-consistency)
        using var policy = LanguageModel.Load(EmbeddedModels.PolicyDirectory);
        var result = await Scale.With(policy.CreateSampler())
            .Extractor(EmbeddedModels.AnswerExtractor)
            .Seed(1)
            .SelfConsistency(16)
            .SolveAsync("Q: 17 +8 *3 -12\n");
        Console.WriteLine($"{result.Answer} ({result.Usage.GeneratedTokens} tokens)");

        Assert.Equal(16, result.Candidates.Count);
        Assert.NotNull(result.Answer);
        Assert.Equal(result.Candidates.GroupBy(c => c.Answer).Where(g => g.Key is not null).Max(g => g.Count()),
            result.Candidates.Count(c => c.Answer == result.Answer));
        // (17 + 8) * 3 - 12 = 63: sixteen votes of the embedded policy find it.
        Assert.Equal("63", result.Answer);
    }

    [Fact]
    public async Task Prm_weighted_best_of_n_example_runs()
    {
        // README: PRM-weighted best-of-N
        using var policy = LanguageModel.Load(EmbeddedModels.PolicyDirectory);
        using var prm = LanguageModel.Load(EmbeddedModels.RewardModelDirectory);
        var result = await Scale.With(policy.CreateSampler())
            .Verifier(prm.CreateProcessVerifier())
            .Extractor(EmbeddedModels.AnswerExtractor)
            .Seed(1)
            .WeightedBestOfN(16)
            .SolveAsync("Q: 17 +8 *3 -12\n");
        Console.WriteLine($"{result.Answer} (score {result.Chosen?.Score?.Value:F2})");

        Assert.Equal(16, result.Candidates.Count);
        Assert.All(result.Candidates, c => Assert.NotNull(c.Score?.StepScores));
        Assert.NotNull(result.Chosen);
    }

    [Fact]
    public async Task Beam_search_example_runs()
    {
        // README: step-level beam search under the PRM
        using var policy = LanguageModel.Load(EmbeddedModels.PolicyDirectory);
        using var prm = LanguageModel.Load(EmbeddedModels.RewardModelDirectory);
        var result = await Scale.With(policy.CreateSampler())
            .Verifier(prm.CreateProcessVerifier())
            .Extractor(EmbeddedModels.AnswerExtractor)
            .Seed(1)
            .BeamSearch(beamWidth: 4, expansions: 4)
            .SolveAsync("Q: 17 +8 *3 -12\n");
        Console.WriteLine($"{result.Answer} after {result.Usage.VerifierCalls} PRM calls");

        Assert.NotEmpty(result.Candidates);
        Assert.True(result.Usage.VerifierCalls > 0);
        Assert.NotNull(result.Chosen);
    }

    [Fact]
    public void Embedded_models_are_found_beside_the_program()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "models", "arithmetic-policy"), EmbeddedModels.PolicyDirectory);
        Assert.True(File.Exists(Path.Combine(EmbeddedModels.RewardModelDirectory, "model.safetensors")));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => EmbeddedModels.Locate(Path.Combine(AppContext.BaseDirectory, "no-such-model")));
        Assert.Contains("no-such-model", missing.Message, StringComparison.Ordinal);
        Assert.Equal("63", EmbeddedModels.AnswerExtractor.Extract("17 +8 = 25\n25 *3 = 75\n75 -12 = 63\nA: 063\n"));
    }
}
