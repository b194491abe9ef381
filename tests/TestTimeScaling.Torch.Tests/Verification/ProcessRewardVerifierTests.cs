using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;

namespace TestTimeScaling.Torch.Tests.Verification;

public sealed class ProcessRewardVerifierTests
{
    private static readonly CharTokenizer Tokenizer = new();

    private static ProcessRewardVerifier Verifier(bool closeLastStep) =>
        new(TinyModels.Random(TinyModels.Llama(Tokenizer.VocabSize) with { Architecture = "LlamaForTokenClassification", NumLabels = 1 }),
            Tokenizer, new ProcessRewardOptions { CloseLastStep = closeLastStep });

    [Fact]
    public void SplitClosedEndsEveryStepWithTheDelimiter()
    {
        Assert.Equal(["1+1=2\n", "A: 2\n"], StepTokens.SplitClosed("1+1=2\nA: 2", "\n"));
        Assert.Equal(["1+1=2\n", "\n", "A: 2\n"], StepTokens.SplitClosed("1+1=2\n\nA: 2\n", "\n"));
        Assert.Empty(StepTokens.SplitClosed("", "\n"));
        // Split leaves the last step open.
        Assert.Equal(["1+1=2\n", "A: 2"], StepTokens.Split("1+1=2\nA: 2", "\n"));
    }

    [Fact]
    public async Task AnOpenLastStepIsScoredAsIfItWereClosed()
    {
        var problem = new Problem("q: 1 +1\n");
        var verifier = Verifier(closeLastStep: true);
        var scores = await verifier.ScoreAsync(problem, ["1+1=2\nA: 2", "1+1=2\nA: 2\n"]);

        Assert.Equal(2, scores[0].StepScores!.Count);
        Assert.Equal(scores[1].StepScores!, scores[0].StepScores!);
    }

    [Fact]
    public async Task WithClosingOffTheOpenLastStepIsReadAtItsLastCharacter()
    {
        var problem = new Problem("q: 1 +1\n");
        var verifier = Verifier(closeLastStep: false);
        var scores = await verifier.ScoreAsync(problem, ["1+1=2\nA: 2", "1+1=2\nA: 2\n"]);

        // The first step is the same text at the same place; the last is read one token earlier.
        Assert.Equal(scores[1].StepScores![0], scores[0].StepScores![0], 5);
        Assert.NotEqual(scores[1].StepScores![1], scores[0].StepScores![1], 3);
    }
}
