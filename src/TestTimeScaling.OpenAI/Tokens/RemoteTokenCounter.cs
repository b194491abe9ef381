using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// Counts tokens for a remote sampler: a local tokenizer, else the server's tokenize endpoint
/// (vLLM <c>{"count": n}</c>, SGLang and llama.cpp <c>{"tokens": [...]}</c>), else characters / ratio.
/// Counts are cached per text, because budgets ask about the same prompt again and again.
/// </summary>
internal sealed class RemoteTokenCounter(HttpClient http, OpenAICompatibleSamplerOptions options)
{
    private const int CacheLimit = 4096;
    private readonly ConcurrentDictionary<string, (int Count, bool Estimated)> _cache = new(StringComparer.Ordinal);
    private volatile bool _endpointUnavailable;

    /// <summary>The tokenize endpoint: a leading '/' resolves from the server root, anything else from <see cref="OpenAICompatibleSamplerOptions.Endpoint"/>.</summary>
    public Uri TokenizeUri { get; } = new(OpenAICompatibleSampler.NormalizeEndpoint(options.Endpoint!), options.TokenizePath);

    public int Count(string text) =>
        // The interface is synchronous; the endpoint is not. Run it on the pool so no caller's context deadlocks.
        Task.Run(() => CountAsync(text, CancellationToken.None).AsTask()).GetAwaiter().GetResult().Count;

    public async ValueTask<(int Count, bool Estimated)> CountAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return (0, false);
        if (_cache.TryGetValue(text, out var cached)) return cached;
        var result = await CountUncachedAsync(text, cancellationToken).ConfigureAwait(false);
        if (_cache.Count >= CacheLimit) _cache.Clear();
        _cache[text] = result;
        return result;
    }

    private async ValueTask<(int, bool)> CountUncachedAsync(string text, CancellationToken cancellationToken)
    {
        switch (options.TokenCounting)
        {
            case TokenCounting.LocalTokenizer:
                return (options.Tokenizer!(text), false);
            case TokenCounting.Estimate:
                return (Estimate(text), true);
            case TokenCounting.ServerEndpoint:
                return (await AskServerAsync(text, cancellationToken).ConfigureAwait(false), false);
        }
        if (options.Tokenizer is { } tokenizer) return (tokenizer(text), false);
        if (!_endpointUnavailable)
        {
            try
            {
                return (await AskServerAsync(text, cancellationToken).ConfigureAwait(false), false);
            }
            catch (OpenAICompatibleServerException)
            {
                // A server without the endpoint (OpenAI, Ollama): estimate from now on rather than ask every time.
                _endpointUnavailable = true;
            }
        }
        return (Estimate(text), true);
    }

    private int Estimate(string text) => (int)Math.Ceiling(text.Length / options.CharactersPerTokenEstimate);

    private async Task<int> AskServerAsync(string text, CancellationToken cancellationToken)
    {
        // vLLM and SGLang read "prompt", llama.cpp reads "content"; each ignores the other's field.
        var body = new JsonObject { ["model"] = options.Model, ["prompt"] = text, ["content"] = text, ["add_special_tokens"] = false };
        HttpResponseMessage response;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, TokenizeUri) { Content = JsonContent.Create(body) };
            OpenAICompatibleSampler.AddAuthorization(message, options);
            response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new OpenAICompatibleServerException(TokenizeUri, options.Model, null, null, "the tokenize request failed: " + e.Message, e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new OpenAICompatibleServerException(TokenizeUri, options.Model, response.StatusCode, null, "the tokenize endpoint refused the request.");
            try
            {
                using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("count", out var count) && count.TryGetInt32(out var n) && n >= 0) return n;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Array) return tokens.GetArrayLength();
                throw new OpenAICompatibleServerException(TokenizeUri, options.Model, response.StatusCode, "count", "the tokenize answer has neither 'count' nor a 'tokens' array.");
            }
            catch (JsonException e)
            {
                throw new OpenAICompatibleServerException(TokenizeUri, options.Model, response.StatusCode, "$", "the tokenize answer is not valid JSON: " + e.Message, e);
            }
        }
    }
}
