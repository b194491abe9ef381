using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// A process verifier over a reward model served by vLLM's pooling API (<c>POST /pooling</c>): each step of a
/// solution is closed with a separator, and the model's output at the separator's token is the step's score
/// (Qwen2.5-Math-PRM style: softmax over two classes, column 1 is "good").
/// </summary>
/// <remarks>
/// <para>The server may return one row per step (vLLM's STEP pooling, configured with the separator's token id) or one
/// row per token (ALL pooling); then the input is tokenized with the server's <c>/tokenize</c> route and the rows at
/// the separator's token are read. A row of two or more values is read at <see cref="PoolingProcessVerifierOptions.PositiveIndex"/>,
/// after a softmax unless it already sums to 1; a single value is a probability when in [0, 1], else a logit (sigmoid).</para>
/// <para>One request per solution, at most <see cref="PoolingProcessVerifierOptions.MaxConcurrentRequests"/> in flight.
/// Failures and answers it cannot read are <see cref="OpenAICompatibleServerException"/>s naming the field.</para>
/// </remarks>
public sealed class PoolingProcessVerifier : IVerifier
{
    private readonly HttpClient _http;
    private readonly PoolingProcessVerifierOptions _options;
    private readonly SemaphoreSlim _inFlight;
    private readonly Uri _poolingUri;
    private readonly Uri _tokenizeUri;
    private int? _separatorId;

    /// <summary>Creates the verifier over <paramref name="httpClient"/> (used, not owned).</summary>
    public PoolingProcessVerifier(HttpClient httpClient, PoolingProcessVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = httpClient;
        _options = options;
        _inFlight = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        var root = OpenAICompatibleSampler.NormalizeEndpoint(options.Endpoint!);
        _poolingUri = new Uri(root, options.PoolingPath);
        _tokenizeUri = new Uri(root, options.TokenizePath);
    }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Process;

    /// <inheritdoc />
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        var tasks = solutions.Select((s, i) => ScoreOneAsync(problem, s ?? throw new ArgumentException($"solutions[{i}] is null.", nameof(solutions)), cancellationToken)).ToArray();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Splits a solution into steps the way the verifier scores them (empty pieces dropped).</summary>
    public IReadOnlyList<string> SplitSteps(string solution) =>
        solution.Split(_options.StepDelimiter).Where(s => s.Trim().Length > 0).ToArray();

    private async Task<VerifierScore> ScoreOneAsync(Problem problem, string solution, CancellationToken cancellationToken)
    {
        var steps = SplitSteps(solution);
        if (steps.Count == 0) return new VerifierScore(0.0, []);
        var separator = _options.StepSeparator ?? _options.StepDelimiter;
        var body = string.Concat(steps.Select(s => s + separator));
        var input = _options.InputTemplate is { } template ? template(problem, body) : problem.Prompt + body;

        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var rows = await PoolAsync(input, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<double[]> stepRows;
            if (rows.Count == steps.Count) stepRows = rows;
            else
            {
                var ids = await TokenizeAsync(input, addSpecial: true, cancellationToken).ConfigureAwait(false);
                if (ids.Count != rows.Count)
                    throw Fail(HttpStatusCode.OK, "data[0].data", $"{rows.Count} row(s) for {steps.Count} step(s) and {ids.Count} token(s): neither one row per step nor per token");
                int sep = await SeparatorIdAsync(separator, cancellationToken).ConfigureAwait(false);
                // The prompt may hold the separator too (a newline-delimited task): the steps' are the last ones.
                var positions = ids.Select((id, i) => (id, i)).Where(t => t.id == sep).Select(t => t.i).ToArray();
                stepRows = positions.Skip(Math.Max(0, positions.Length - steps.Count)).Select(i => rows[i]).ToArray();
                if (stepRows.Count != steps.Count)
                    throw Fail(HttpStatusCode.OK, "data[0].data", $"found {stepRows.Count} separator token(s) (id {sep}) for {steps.Count} step(s); does the separator merge with its neighbours?");
            }
            var scores = stepRows.Select((r, i) => Probability(r, i)).ToArray();
            return new VerifierScore(scores.Aggregate(_options.Aggregation), scores);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private double Probability(double[] row, int step)
    {
        if (row.Length == 0) throw Fail(HttpStatusCode.OK, $"data[0].data[{step}]", "empty row");
        if (row.Length == 1) return row[0] is >= 0 and <= 1 ? row[0] : 1 / (1 + Math.Exp(-row[0]));
        if (_options.PositiveIndex >= row.Length) throw Fail(HttpStatusCode.OK, $"data[0].data[{step}]", $"{row.Length} value(s); PositiveIndex is {_options.PositiveIndex}");
        bool probabilities = row.All(v => v is >= 0 and <= 1) && Math.Abs(row.Sum() - 1) < 1e-3;
        if (probabilities) return row[_options.PositiveIndex];
        double max = row.Max();
        double total = row.Sum(v => Math.Exp(v - max));
        return Math.Exp(row[_options.PositiveIndex] - max) / total;
    }

    private async Task<int> SeparatorIdAsync(string separator, CancellationToken cancellationToken)
    {
        if (_separatorId is { } id) return id;
        var ids = await TokenizeAsync(separator, addSpecial: false, cancellationToken).ConfigureAwait(false);
        if (ids.Count != 1) throw new ArgumentException($"The step separator '{separator}' encodes to {ids.Count} tokens on '{_options.Model}'; it must be exactly one.", nameof(PoolingProcessVerifierOptions.StepSeparator));
        _separatorId = ids[0];
        return ids[0];
    }

    private async Task<IReadOnlyList<double[]>> PoolAsync(string input, CancellationToken cancellationToken)
    {
        using var doc = await PostAsync(_poolingUri, new JsonObject { ["model"] = _options.Model, ["input"] = input }, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
            throw Fail(HttpStatusCode.OK, "data", "missing or empty");
        var first = data[0];
        if (first.ValueKind != JsonValueKind.Object || !first.TryGetProperty("data", out var matrix) || matrix.ValueKind != JsonValueKind.Array)
            throw Fail(HttpStatusCode.OK, "data[0].data", "missing or not an array");
        var rows = new List<double[]>();
        int r = 0;
        foreach (var row in matrix.EnumerateArray())
        {
            rows.Add(row.ValueKind switch
            {
                JsonValueKind.Number => [row.GetDouble()],
                JsonValueKind.Array => row.EnumerateArray().Select((v, c) => v.ValueKind == JsonValueKind.Number ? v.GetDouble()
                    : throw Fail(HttpStatusCode.OK, $"data[0].data[{r}][{c}]", "not a number")).ToArray(),
                _ => throw Fail(HttpStatusCode.OK, $"data[0].data[{r}]", "not a number or an array"),
            });
            r++;
        }
        return rows;
    }

    private async Task<IReadOnlyList<int>> TokenizeAsync(string text, bool addSpecial, CancellationToken cancellationToken)
    {
        using var doc = await PostAsync(_tokenizeUri, new JsonObject
        {
            ["model"] = _options.Model, ["prompt"] = text, ["content"] = text, ["add_special_tokens"] = addSpecial, ["add_special"] = addSpecial,
        }, cancellationToken).ConfigureAwait(false);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            throw new OpenAICompatibleServerException(_tokenizeUri, _options.Model, HttpStatusCode.OK, "tokens", "missing or not an array");
        return tokens.EnumerateArray().Select((t, i) => t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var v) ? v
            : throw new OpenAICompatibleServerException(_tokenizeUri, _options.Model, HttpStatusCode.OK, $"tokens[{i}]", "not an integer token id")).ToArray();
    }

    private async Task<JsonDocument> PostAsync(Uri uri, JsonObject body, CancellationToken cancellationToken)
    {
        HttpStatusCode? status = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent.Create(body) };
            if (!string.IsNullOrEmpty(_options.ApiKey)) message.Headers.Authorization = new("Bearer", _options.ApiKey);
            using var response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new OpenAICompatibleServerException(uri, _options.Model, status, null, "the server refused the request: " + (text.Length > 500 ? text[..500] : text));
            return JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new OpenAICompatibleServerException(uri, _options.Model, status, string.IsNullOrEmpty(e.Path) ? "$" : e.Path, "the answer is not valid JSON: " + e.Message, e);
        }
        catch (Exception e) when (e is not OpenAICompatibleServerException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw new OpenAICompatibleServerException(uri, _options.Model, status, null, $"the request failed ({e.GetType().Name}): {e.Message}", e);
        }
    }

    private OpenAICompatibleServerException Fail(HttpStatusCode status, string field, string detail) =>
        new(_poolingUri, _options.Model, status, field, detail);
}
