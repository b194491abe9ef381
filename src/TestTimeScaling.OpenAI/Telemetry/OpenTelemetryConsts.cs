namespace TestTimeScaling.OpenAI;

/// <summary>Every span, tag and instrument name this package emits, in one place (GenAI semantic conventions).</summary>
internal static class OpenTelemetryConsts
{
    public const string TextCompletion = "text_completion";
    public const string Chat = "chat";
    public const string Embeddings = "embeddings";

    public const string TokenTypeInput = "input";
    public const string TokenTypeOutput = "output";

    public static class GenAI
    {
        public const string OperationName = "gen_ai.operation.name";
        public const string ProviderName = "gen_ai.provider.name";
        public const string RequestModel = "gen_ai.request.model";
        public const string RequestMaxTokens = "gen_ai.request.max_tokens";
        public const string RequestTemperature = "gen_ai.request.temperature";
        public const string RequestTopP = "gen_ai.request.top_p";
        public const string RequestTopK = "gen_ai.request.top_k";
        public const string RequestSeed = "gen_ai.request.seed";
        public const string RequestChoiceCount = "gen_ai.request.choice.count";
        public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
        public const string UsageInputTokens = "gen_ai.usage.input_tokens";
        public const string UsageOutputTokens = "gen_ai.usage.output_tokens";
        public const string TokenType = "gen_ai.token.type";

        public const string ClientTokenUsage = "gen_ai.client.token.usage";
        public const string ClientTokenUsageDescription = "Measures number of input and output tokens used";
        public const string ClientOperationDuration = "gen_ai.client.operation.duration";
        public const string ClientOperationDurationDescription = "Measures the duration of a GenAI operation";
    }

    /// <summary>Not in the conventions: how many HTTP requests one sampler call fanned out into.</summary>
    public const string HttpRequestCount = "test_time_scaling.http.request_count";

    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    public const string ProviderValue = "openai";
    public const string TokenUnit = "{token}";
    public const string SecondsUnit = "s";
}
