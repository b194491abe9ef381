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

    [Fact]
    public void A_cancelled_token_stops_scoring_and_leaves_no_tensor_behind()
    {
        var verifier = Verifier(closeLastStep: true);
        var problem = new Problem("q: 1 +1\n");
        verifier.Score(problem, ["1+1=2\nA: 2"]); // warm up
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.ThrowsAny<OperationCanceledException>(() => verifier.Score(problem, ["1+1=2\nA: 2", "1+1=3\nA: 3"], new CancellationToken(true)));
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void A_forward_pass_checks_the_token_between_layers_and_frees_what_it_made()
    {
        using var model = TinyModels.Random(TinyModels.Llama(Tokenizer.VocabSize) with { Architecture = "LlamaForTokenClassification", NumLabels = 1 });
        using var ids = TorchSharp.torch.tensor(new long[] { 1, 2, 3, 4 }, [1, 4], dtype: TorchSharp.torch.ScalarType.Int64);
        using (var warm = model.Forward(ids)) { }
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => model.Forward(ids, cts.Token));
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Solutions_go_in_passes_of_at_most_MaxTokensPerBatch_padded_tokens()
    {
        var model = TinyModels.Random(TinyModels.Llama(Tokenizer.VocabSize) with { Architecture = "LlamaForTokenClassification", NumLabels = 1 });
        var small = new ProcessRewardVerifier(model, Tokenizer, new ProcessRewardOptions { MaxTokensPerBatch = 40 });
        var large = new ProcessRewardVerifier(model, Tokenizer, new ProcessRewardOptions { MaxTokensPerBatch = 4096 });
        var problem = new Problem("q: 1 +1\n");
        string[] solutions = ["1+1=2\nA: 2", "1+1=3\nA: 3", "1+1=2\n2+2=4\nA: 4", "A: 2"];
        var a = small.Score(problem, solutions);
        var b = large.Score(problem, solutions);
        Assert.True(small.ForwardPasses > 1);
        Assert.Equal(1, large.ForwardPasses);
        for (int i = 0; i < solutions.Length; i++) Assert.Equal(b[i].StepScores!, a[i].StepScores!, new ToleranceComparer(1e-5));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
