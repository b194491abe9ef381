using System.Net;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// An OpenAI-compatible server failed or answered something this library cannot use: an error status after the
/// resilience pipeline gave up, a transport failure or timeout, bad JSON, a missing field, fewer choices than asked,
/// or a stream cut short. The message names the endpoint, the model, the status and the field.
/// </summary>
/// <remarks>
/// When a sampler call fans out into several HTTP requests and one fails, the others are cancelled; what the
/// completed (and partly streamed) requests cost is in <see cref="Partial"/>, so a budget can still account for it.
/// </remarks>
public sealed class OpenAICompatibleServerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endpoint">The URL that was called.</param>
    /// <param name="model">The model asked for.</param>
    /// <param name="statusCode">The HTTP status, when a response arrived.</param>
    /// <param name="field">The JSON field (path) that was missing or malformed, when that was the problem.</param>
    /// <param name="detail">What went wrong, in words.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public OpenAICompatibleServerException(Uri endpoint, string model, HttpStatusCode? statusCode, string? field, string detail, Exception? innerException = null)
        : base(Format(endpoint, model, statusCode, field, detail), innerException)
    {
        Endpoint = endpoint;
        Model = model;
        StatusCode = statusCode;
        Field = field;
    }

    /// <summary>The URL that was called.</summary>
    public Uri Endpoint { get; }

    /// <summary>The model asked for.</summary>
    public string Model { get; }

    /// <summary>The HTTP status, or null when no response arrived (connection dropped, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The JSON field at fault (e.g. <c>choices[2].text</c>), or null.</summary>
    public string? Field { get; }

    /// <summary>
    /// Completions of the requests that did complete (rows of failed requests are absent) and the usage of
    /// everything generated before the failure; null when nothing was spent or the failure was not in sampling.
    /// </summary>
    public SampleResult? Partial { get; init; }

    private static string Format(Uri endpoint, string model, HttpStatusCode? status, string? field, string detail)
    {
        var where = $"'{endpoint}' (model '{model}'";
        if (status is { } s) where += $", status {(int)s} {s}";
        if (field is not null) where += $", field '{field}'";
        return $"{where}): {detail}";
    }
}
