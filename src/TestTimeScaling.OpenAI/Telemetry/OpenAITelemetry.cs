namespace TestTimeScaling.OpenAI;

/// <summary>Names to subscribe to this package's telemetry (OpenTelemetry <c>AddSource</c> / <c>AddMeter</c>).</summary>
/// <remarks>
/// Spans follow the GenAI semantic conventions: one <c>text_completion {model}</c> span (Client kind) per
/// <see cref="OpenAICompatibleSampler"/> call, one <c>chat {model}</c> span per <see cref="ChatClientSampler"/> call,
/// with <c>gen_ai.request.*</c>, finish reasons, usage and <c>server.address</c>; failures set <c>error.type</c>.
/// Metrics: <c>gen_ai.client.token.usage</c> and <c>gen_ai.client.operation.duration</c>. No prompt or completion
/// text is recorded. The <c>Experimental.</c> prefix stays while the shape may change.
/// </remarks>
public static class OpenAITelemetry
{
    /// <summary>The name of this package's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string SourceName = "Experimental.TestTimeScaling.OpenAI";
}
