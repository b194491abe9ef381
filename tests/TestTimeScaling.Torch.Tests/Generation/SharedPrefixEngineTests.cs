using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Models;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// The engine over a prompt long enough to be shared at the fork (N rows read one segment): every reported logprob
/// equals the one a full forward pass over that row's whole sequence gives, with and without partial solutions.
/// </summary>
public class SharedPrefixEngineTests : IDisposable
{
    private readonly CharTokenizer _tokenizer = new();
    private readonly LlamaDecoder _model;

    // 300 characters: with N = 8 the fork saves 7 x 301 tokens, past KvCache.DefaultMinSharedTokens.
    private static readonly string Prompt = string.Concat(Enumerable.Range(0, 40).Select(i => $"q{i % 10}: {i % 7}+{i % 3}=\n"))[..300];

    public SharedPrefixEngineTests()
    {
        var config = TinyModels.Llama(new CharTokenizer().VocabSize) with { MaxPositionEmbeddings = 512, NumKeyValueHeads = 2 };
        _model = TinyModels.Random(config, seed: 6);
    }

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LogprobsOfForkedRowsEqualAFullForwardOfEachSequence(bool withPrefixes)
    {
        Assert.True(7 * (Prompt.Length + 1) >= KvCache.DefaultMinSharedTokens);
        using var engine = new GenerationEngine(_model, _tokenizer, new GenerationEngineOptions { ReuseCacheAcrossCalls = false });
        string[] prefixes = withPrefixes ? ["a1+2", "b3*4=7"] : [""];
        var result = await engine.SampleAsync(new SampleRequest
        {
            Prompt = Prompt,
            N = 8,
            Prefixes = prefixes,
            Options = new SamplingOptions { Temperature = 1, MaxNewTokens = 6, Seed = 11 },
        });
        Assert.Equal(8 * prefixes.Length, result.Completions.Count);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < result.Completions.Count; i++)
        {
            var completion = result.Completions[i];
            int[] context = [0, .. _tokenizer.Encode(Prompt), .. _tokenizer.Encode(prefixes[i / 8])];
            int[] sequence = [.. context, .. completion.TokenIds];
            var logits = _model.Forward(DecoderCacheTests.Ids(sequence))[0];
            var logprobs = logits.log_softmax(-1);
            for (int t = 0; t < completion.TokenIds.Count; t++)
            {
                float expected = logprobs[context.Length - 1 + t, completion.TokenIds[t]].item<float>();
                Assert.True(Math.Abs(expected - completion.Logprobs![t]) <= 1e-4,
                    $"sample {i}, token {t}: engine logprob {completion.Logprobs[t]} but a full forward gives {expected}");
            }
        }
    }
}
