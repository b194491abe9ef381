using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class EvaluationSplitsTests
{
    private const string PinnedHeldOutDigest = "1F63FE82566B8D93918458A8C5A8DD5DD277374F67FFB139DC748CF443E1A1ED";

    [Fact]
    public void HeldOutHasOneHundredDistinctProblemsPerLevel()
    {
        var heldOut = EvaluationSplits.HeldOut;

        Assert.Equal(500, heldOut.Count);
        Assert.Equal(500, heldOut.Select(p => p.Prompt).Distinct().Count());
        for (int level = 1; level <= 5; level++)
            Assert.Equal(100, EvaluationSplits.OfLevel(heldOut, level).Count);
        Assert.Equal(500, heldOut.Select(p => p.Id).Distinct().Count());
        Assert.All(heldOut, p => Assert.StartsWith($"heldout-v{EvaluationSplits.SplitVersion}-L{p.Level}-", p.Id));
    }

    [Fact]
    public void HeldOutIsPinned()
    {
        // These change only with SplitVersion: if this fails, the split moved and old results are no longer comparable.
        Assert.Equal(1, EvaluationSplits.SplitVersion);
        Assert.Equal("Q: 8 +7 -5\n", EvaluationSplits.HeldOut[0].Prompt);
        Assert.Equal("Q: 411 -195 *3 +129 +11 /4 +66\n", EvaluationSplits.HeldOut[^1].Prompt);
        Assert.Equal(PinnedHeldOutDigest, Digest(EvaluationSplits.HeldOut));
    }

    [Fact]
    public void HeldOutIsWhatItsSeedsDraw()
    {
        // Redrawing level 3's stream from scratch gives the split's level-3 problems, in order (no duplicates were
        // skipped there, as level 3's space is large).
        var random = new SeededRandom(EvaluationSplits.StreamSeed(EvaluationSplits.HeldOutSeed, 3));
        var redrawn = Enumerable.Range(0, 100).Select(_ => ProblemGenerator.Next(random, ArithmeticDifficulty.ForLevel(3), null).Prompt);

        Assert.Equal(EvaluationSplits.OfLevel(EvaluationSplits.HeldOut, 3).Select(p => p.Prompt), redrawn);
    }

    [Fact]
    public void DevIsSmallerAndDisjointFromHeldOut()
    {
        var dev = EvaluationSplits.Dev;

        Assert.Equal(250, dev.Count);
        Assert.Equal(250, dev.Select(p => p.Prompt).Distinct().Count());
        Assert.All(dev, p => Assert.False(EvaluationSplits.IsHeldOut(p.Prompt)));
        Assert.All(dev, p => Assert.True(EvaluationSplits.IsDev(p.Prompt)));
        for (int level = 1; level <= 5; level++)
            Assert.Equal(50, EvaluationSplits.OfLevel(dev, level).Count);
    }

    [Fact]
    public void IsHeldOutMatchesExactPromptsOnly()
    {
        string prompt = EvaluationSplits.HeldOut[123].Prompt;

        Assert.True(EvaluationSplits.IsHeldOut(prompt));
        Assert.True(EvaluationSplits.IsEvaluation(prompt));
        Assert.False(EvaluationSplits.IsHeldOut(prompt.TrimEnd('\n')));
        Assert.False(EvaluationSplits.IsHeldOut("Q: 1 +1\n") && EvaluationSplits.IsDev("Q: 1 +1\n"));
        Assert.Throws<ArgumentNullException>(() => EvaluationSplits.IsHeldOut(null!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(12345)]
    [InlineData(-7)]
    public void TrainingBatchesNeverContainEvaluationPrompts(int seed)
    {
        var batch = ProblemGenerator.GenerateMixed(3000, seed);
        Assert.All(batch, p => Assert.False(EvaluationSplits.IsEvaluation(p.Prompt), p.Prompt));

        // Level 1's space is small enough that plain draws would hit the splits often; the generator must skip them.
        var easy = ProblemGenerator.Generate(3000, seed, level: 1);
        Assert.All(easy, p => Assert.False(EvaluationSplits.IsEvaluation(p.Prompt), p.Prompt));
    }

    [Fact]
    public void TheFilterIsWhatKeepsTrainingDisjoint()
    {
        // Raw level-1 draws do hit the splits (the space is small), so disjointness is not luck: Generate skips them.
        var random = new SeededRandom(77);
        var raw = Enumerable.Range(0, 3000).Select(_ => ProblemGenerator.Next(random, ArithmeticDifficulty.ForLevel(1), null));
        Assert.Contains(raw, p => EvaluationSplits.IsEvaluation(p.Prompt));

        Assert.DoesNotContain(ProblemGenerator.Generate(3000, seed: 77, level: 1), p => EvaluationSplits.IsEvaluation(p.Prompt));
    }

    private static string Digest(IEnumerable<ArithmeticProblem> problems) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Concat(problems.Select(p => p.Prompt)))));
}
