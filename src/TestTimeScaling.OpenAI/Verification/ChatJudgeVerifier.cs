using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// A generative verifier: an LLM judge reads the problem and a solution and answers yes/no or a score.
/// Over an <see cref="IChatClient"/> (any provider) the verdict is read from the text; over an <see cref="ISampler"/>
/// (the completions route of a server, or the local engine) the verdict token's logprob turns "Yes" into a probability.
/// </summary>
/// <remarks>
/// The judge runs greedily (temperature 0). The first "yes" or "no" word (yes/no mode) or the first number (score mode)
/// is the verdict; a reply with none scores 0.5 and says why in <see cref="VerifierScore.Feedback"/>. With logprobs the
/// yes/no score is exp(logprob) of the judge's first token for "Yes" and one minus that for "No" (the default prompt
/// makes the verdict the first token). Prompt text is never logged.
/// </remarks>
public sealed partial class ChatJudgeVerifier : IVerifier
{
    private readonly IChatClient? _chat;
    private readonly ISampler? _sampler;
    private readonly ChatJudgeVerifierOptions _options;
    private readonly SemaphoreSlim _inFlight;

    /// <summary>A judge over a chat client (verdict from the text only: chat clients do not expose logprobs).</summary>
    public ChatJudgeVerifier(IChatClient judge, ChatJudgeVerifierOptions? options = null)
        : this(options)
    {
        ArgumentNullException.ThrowIfNull(judge);
        _chat = judge;
    }

    /// <summary>A judge over a sampler's raw completions, using the verdict token's logprob when the sampler reports it.</summary>
    public ChatJudgeVerifier(ISampler judge, ChatJudgeVerifierOptions? options = null)
        : this(options)
    {
        ArgumentNullException.ThrowIfNull(judge);
        _sampler = judge;
    }

    private ChatJudgeVerifier(ChatJudgeVerifierOptions? options)
    {
        _options = options ?? new ChatJudgeVerifierOptions();
        _options.Validate();
        _inFlight = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
    }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Outcome;

    /// <inheritdoc />
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        var tasks = solutions.Select((s, i) => JudgeAsync(problem, s ?? throw new ArgumentException($"solutions[{i}] is null.", nameof(solutions)), cancellationToken)).ToArray();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task<VerifierScore> JudgeAsync(Problem problem, string solution, CancellationToken cancellationToken)
    {
        var prompt = _options.Render(problem, solution);
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_chat is not null)
            {
                var response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)],
                    new ChatOptions { Temperature = 0, MaxOutputTokens = _options.MaxOutputTokens, ModelId = _options.ModelId }, cancellationToken).ConfigureAwait(false);
                return Read(response.Text, null);
            }
            var result = await _sampler!.SampleAsync(new SampleRequest
            {
                Prompt = prompt,
                Options = new SamplingOptions { Temperature = 0, MaxNewTokens = _options.MaxOutputTokens, IncludeLogprobs = true },
            }, cancellationToken).ConfigureAwait(false);
            var completion = result.Completions.Count > 0 ? result.Completions[0] : null;
            return Read(completion?.Text ?? "", completion?.Logprobs is { Count: > 0 } lp ? lp[0] : null);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>Turns a judge's reply (and the logprob of its first token, when known) into a score.</summary>
    internal VerifierScore Read(string reply, float? firstTokenLogprob)
    {
        if (_options.Verdict == JudgeVerdict.Score)
        {
            var number = NumberPattern().Match(reply);
            if (!number.Success || !double.TryParse(number.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                return new VerifierScore(0.5, Feedback: $"The judge gave no score: '{Clip(reply)}'.");
            return new VerifierScore(Math.Clamp(value / _options.MaxScore, 0, 1), Feedback: Clip(reply));
        }
        var word = YesNoPattern().Match(reply);
        if (!word.Success) return new VerifierScore(0.5, Feedback: $"The judge gave no yes/no verdict: '{Clip(reply)}'.");
        bool yes = word.Value.Equals("yes", StringComparison.OrdinalIgnoreCase);
        // The logprob belongs to the first token; it is the verdict's only when the verdict opens the reply.
        bool verdictFirst = reply.TrimStart().StartsWith(word.Value, StringComparison.Ordinal);
        if (firstTokenLogprob is { } lp && verdictFirst && float.IsFinite(lp))
        {
            double p = Math.Exp(lp);
            return new VerifierScore(yes ? p : 1 - p, Feedback: Clip(reply));
        }
        return new VerifierScore(yes ? 1 : 0, Feedback: Clip(reply));
    }

    private static string Clip(string text) => text.Length > 200 ? text[..200] + "..." : text.Trim();

    [GeneratedRegex(@"\b(yes|no)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex YesNoPattern();

    [GeneratedRegex(@"-?\d+(\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();
}
