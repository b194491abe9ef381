using TestTimeScaling.Tests.Fakes;

namespace TestTimeScaling.Tests.Strategies;

/// <summary>
/// Wraps a sampler for <see cref="FakeArithmetic"/> problems and rewrites each token's log-probability: tokens (one per
/// character) of a step line whose arithmetic is wrong get <see cref="Unsure"/>, every other token <see cref="Sure"/>.
/// A model that "knows" when it slips: what DeepConf's confidence relies on.
/// </summary>
public sealed class ConfidentSampler(ISampler inner) : ISampler
{
    public const float Sure = -0.05f, Unsure = -3f;

    public SamplerCapabilities Capabilities => inner.Capabilities;

    public int CountTokens(string text) => inner.CountTokens(text);

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        var result = await inner.SampleAsync(request, cancellationToken);
        return result with { Completions = result.Completions.Select(c => c with { Logprobs = Logprobs(c.Text) }).ToList() };
    }

    public static bool IsWrongLine(string line)
    {
        var m = FakeArithmetic.StepLine().Match(line.Trim());
        return m.Success && FakeArithmetic.Apply(long.Parse(m.Groups[1].Value), m.Groups[2].Value[0], long.Parse(m.Groups[3].Value)) != long.Parse(m.Groups[4].Value);
    }

    public static bool HasWrongLine(string text) => text.Split('\n').Any(IsWrongLine);

    private static float[] Logprobs(string text)
    {
        var logprobs = new List<float>(text.Length);
        foreach (var line in text.Split('\n').Select((l, i) => (l, i)))
        {
            float lp = IsWrongLine(line.l) ? Unsure : Sure;
            logprobs.AddRange(Enumerable.Repeat(lp, line.l.Length));
            if (line.i < text.Count(ch => ch == '\n')) logprobs.Add(lp);
        }
        return logprobs.ToArray();
    }
}

/// <summary>Routes each problem to one of two samplers: problems listed as easy to <paramref name="easy"/>, the rest to <paramref name="hard"/>.</summary>
public sealed class SplitSampler(ISampler easy, ISampler hard, IReadOnlySet<string> easyPrompts) : ISampler
{
    public SamplerCapabilities Capabilities => hard.Capabilities;

    public int CountTokens(string text) => hard.CountTokens(text);

    public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) =>
        (easyPrompts.Contains(request.Prompt) ? easy : hard).SampleAsync(request, cancellationToken);
}
