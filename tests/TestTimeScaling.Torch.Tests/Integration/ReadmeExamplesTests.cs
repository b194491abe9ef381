using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>
/// The README's three-line examples, written here exactly as they appear there, compiled and run against the
/// embedded models from the repository root (where the README's relative paths point).
/// </summary>
[Collection(EmbeddedModelsCollection.Name)]
public sealed class ReadmeExamplesTests
{
    [Fact]
    public async Task Majority_vote_example_runs()
    {
        var result = await FromRepositoryRoot(async () =>
        {
            // README: majority vote (self-consistency)
            using var policy = LanguageModel.Load("models/arithmetic-policy");
            var result = await Scale.With(policy.CreateSampler()).SelfConsistency(16).SolveAsync("Q: 17 +8 *3 -12\n");
            Console.WriteLine($"{result.Answer} ({result.Usage.GeneratedTokens} tokens)");
            return result;
        });

        Assert.Equal(16, result.Candidates.Count);
        Assert.NotNull(result.Answer);
        Assert.Equal(result.Candidates.GroupBy(c => c.Answer).Where(g => g.Key is not null).Max(g => g.Count()),
            result.Candidates.Count(c => c.Answer == result.Answer));
    }

    [Fact]
    public async Task Prm_weighted_best_of_n_example_runs()
    {
        var result = await FromRepositoryRoot(async () =>
        {
            // README: PRM-weighted best-of-N
            using var policy = LanguageModel.Load("models/arithmetic-policy");
            using var prm = LanguageModel.Load("models/arithmetic-prm");
            var result = await Scale.With(policy.CreateSampler()).Verifier(prm.CreateProcessVerifier()).WeightedBestOfN(16).SolveAsync("Q: 17 +8 *3 -12\n");
            return result;
        });

        Assert.Equal(16, result.Candidates.Count);
        Assert.All(result.Candidates, c => Assert.NotNull(c.Score?.StepScores));
        Assert.NotNull(result.Chosen);
    }

    [Fact]
    public async Task Beam_search_example_runs()
    {
        var result = await FromRepositoryRoot(async () =>
        {
            // README: step-level beam search under the PRM
            using var policy = LanguageModel.Load("models/arithmetic-policy");
            using var prm = LanguageModel.Load("models/arithmetic-prm");
            var result = await Scale.With(policy.CreateSampler()).Verifier(prm.CreateProcessVerifier()).BeamSearch(beamWidth: 4, expansions: 4).SolveAsync("Q: 17 +8 *3 -12\n");
            return result;
        });

        Assert.NotEmpty(result.Candidates);
        Assert.True(result.Usage.VerifierCalls > 0);
        Assert.NotNull(result.Chosen);
    }

    // The examples use paths relative to the repository root, as a reader running them there would; the
    // collection runs alone, so changing the working directory here cannot disturb another test.
    private static async Task<SearchResult> FromRepositoryRoot(Func<Task<SearchResult>> example)
    {
        string root = Path.GetDirectoryName(EmbeddedModels.Locate())!;
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(root);
        try { return await example(); }
        finally { Directory.SetCurrentDirectory(previous); }
    }
}
