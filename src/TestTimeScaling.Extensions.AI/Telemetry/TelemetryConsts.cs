namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// Every span, tag and instrument name the middleware uses. <c>gen_ai.*</c> names follow the OpenTelemetry GenAI
/// semantic conventions; <c>test_time_scaling.*</c> names (and the operation names "test_time_scaling" and
/// "verify") are this library's own, not part of the conventions.
/// </summary>
internal static class TelemetryConsts
{
    public const string OperationName = "gen_ai.operation.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string RequestTemperature = "gen_ai.request.temperature";
    public const string RequestTopP = "gen_ai.request.top_p";
    public const string RequestTopK = "gen_ai.request.top_k";
    public const string RequestMaxTokens = "gen_ai.request.max_tokens";
    public const string RequestSeed = "gen_ai.request.seed";
    public const string RequestChoiceCount = "gen_ai.request.choice.count";
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
    public const string UsageInputTokens = "gen_ai.usage.input_tokens";
    public const string UsageOutputTokens = "gen_ai.usage.output_tokens";
    public const string TokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";

    public const string OperationTextCompletion = "text_completion";
    public const string OperationChat = "chat";

    // Not in the conventions: this library's own operations and attributes.
    public const string OperationTestTimeScaling = "test_time_scaling";
    public const string OperationVerify = "verify";
    public const string Strategy = "test_time_scaling.strategy";
    public const string Outcome = "test_time_scaling.outcome";
    public const string BudgetMaxSamples = "test_time_scaling.budget.max_samples";
    public const string BudgetMaxTokens = "test_time_scaling.budget.max_tokens";
    public const string Samples = "test_time_scaling.samples";
    public const string ForwardPasses = "test_time_scaling.usage.forward_passes";
    public const string VerifierCalls = "test_time_scaling.usage.verifier_calls";
    public const string VerifierKind = "test_time_scaling.verifier.kind";
    public const string VerifierCandidates = "test_time_scaling.verifier.candidates";
    public const string SamplerNative = "test_time_scaling.sampler.native";

    // Instruments.
    public const string TokenUsageMetric = "gen_ai.client.token.usage";
    public const string OperationDurationMetric = "gen_ai.client.operation.duration";
    public const string RunDurationMetric = "test_time_scaling.run.duration";
    public const string RunSamplesMetric = "test_time_scaling.run.samples";
    public const string RunForwardPassesMetric = "test_time_scaling.run.forward_passes";
    public const string GeneratedTokensMetric = "test_time_scaling.tokens.generated";
}
