using System.Diagnostics;
using System.Diagnostics.Metrics;
using static TestTimeScaling.OpenAI.OpenTelemetryConsts;

namespace TestTimeScaling.OpenAI;

/// <summary>The package's shared activity source and instruments; spans start only when listened to.</summary>
internal static class SamplerInstruments
{
    public static readonly ActivitySource Source = new(OpenAITelemetry.SourceName);
    public static readonly Meter Meter = new(OpenAITelemetry.SourceName);

    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(
        GenAI.ClientTokenUsage, TokenUnit, GenAI.ClientTokenUsageDescription,
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304] });

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        GenAI.ClientOperationDuration, SecondsUnit, GenAI.ClientOperationDurationDescription,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    /// <summary>Starts a Client span named "{operation} {model}" with the request tags, or null when nobody listens.</summary>
    public static Activity? Start(string operation, string model, SamplingOptions sampling, int rows, Uri? server)
    {
        var activity = Source.StartActivity($"{operation} {model}", ActivityKind.Client);
        if (activity is null || !activity.IsAllDataRequested) return activity;
        activity.SetTag(GenAI.OperationName, operation)
            .SetTag(GenAI.RequestModel, model)
            .SetTag(GenAI.RequestMaxTokens, sampling.MaxNewTokens)
            .SetTag(GenAI.RequestTemperature, sampling.Temperature)
            .SetTag(GenAI.RequestChoiceCount, rows);
        if (sampling.TopP is { } p) activity.SetTag(GenAI.RequestTopP, p);
        if (sampling.TopK is { } k) activity.SetTag(GenAI.RequestTopK, k);
        if (sampling.Seed is { } s) activity.SetTag(GenAI.RequestSeed, s);
        if (server is not null)
        {
            activity.SetTag(ServerAddress, server.Host).SetTag(ServerPort, server.Port);
            activity.SetTag(GenAI.ProviderName, ProviderValue);
        }
        return activity;
    }

    /// <summary>Records the outcome on the span and the metrics.</summary>
    public static void Stop(Activity? activity, string operation, string model, Uri? server, TimeSpan elapsed, Usage? usage,
        IEnumerable<FinishReason>? finishReasons, Exception? error)
    {
        var tags = new TagList { { GenAI.OperationName, operation }, { GenAI.RequestModel, model } };
        if (server is not null) { tags.Add(ServerAddress, server.Host); tags.Add(ServerPort, server.Port); }
        if (error is not null) tags.Add(ErrorType, error.GetType().FullName);
        if (Duration.Enabled) Duration.Record(elapsed.TotalSeconds, tags);
        if (usage is not null && TokenUsage.Enabled)
        {
            var input = tags; input.Add(GenAI.TokenType, TokenTypeInput);
            TokenUsage.Record(usage.PromptTokens, input);
            var output = tags; output.Add(GenAI.TokenType, TokenTypeOutput);
            TokenUsage.Record(usage.GeneratedTokens, output);
        }
        if (activity is null) return;
        if (usage is not null)
            activity.SetTag(GenAI.UsageInputTokens, usage.PromptTokens).SetTag(GenAI.UsageOutputTokens, usage.GeneratedTokens);
        if (finishReasons is not null)
            activity.SetTag(GenAI.ResponseFinishReasons, finishReasons.Select(Name).Distinct().ToArray());
        if (error is not null)
            activity.SetTag(ErrorType, error.GetType().FullName).SetStatus(ActivityStatusCode.Error, error.Message);
    }

    private static string Name(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.StepBoundary => "step_boundary",
        _ => "abandoned",
    };
}
