using System.Diagnostics;

namespace TestTimeScaling.Extensions.AI;

/// <summary>A sampler that reports each call: a <c>text_completion {model}</c> (or <c>chat {model}</c>) span and the GenAI client metrics.</summary>
internal sealed class InstrumentedSampler : ISampler
{
    private readonly ISampler _inner;
    private readonly ScalingTelemetry _telemetry;
    private readonly string _operation;
    private readonly string? _model;
    private readonly bool _native;

    public InstrumentedSampler(ISampler inner, ScalingTelemetry telemetry, string? model, bool native)
    {
        _inner = inner;
        _telemetry = telemetry;
        _model = model;
        _native = native;
        _operation = native ? TelemetryConsts.OperationTextCompletion : TelemetryConsts.OperationChat;
    }

    public SamplerCapabilities Capabilities => _inner.Capabilities;

    public int CountTokens(string text) => _inner.CountTokens(text);

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        using var activity = _telemetry.Source.StartActivity(_model is null ? _operation : $"{_operation} {_model}", _native ? ActivityKind.Internal : ActivityKind.Client);
        if (activity is not null)
        {
            var o = request.Options;
            activity.SetTag(TelemetryConsts.OperationName, _operation)
                .SetTag(TelemetryConsts.RequestModel, _model)
                .SetTag(TelemetryConsts.RequestTemperature, o.Temperature)
                .SetTag(TelemetryConsts.RequestTopP, o.TopP)
                .SetTag(TelemetryConsts.RequestTopK, o.TopK)
                .SetTag(TelemetryConsts.RequestMaxTokens, o.MaxNewTokens)
                .SetTag(TelemetryConsts.RequestSeed, o.Seed)
                .SetTag(TelemetryConsts.RequestChoiceCount, request.RowCount)
                .SetTag(TelemetryConsts.SamplerNative, _native);
        }
        long start = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            var result = await _inner.SampleAsync(request, cancellationToken).ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag(TelemetryConsts.ResponseFinishReasons, result.Completions.Select(c => c.FinishReason.ToString().ToLowerInvariant()).Distinct().ToArray())
                    .SetTag(TelemetryConsts.UsageInputTokens, result.Usage.PromptTokens)
                    .SetTag(TelemetryConsts.UsageOutputTokens, result.Usage.GeneratedTokens);
            }
            RecordTokens(result.Usage);
            return result;
        }
        catch (Exception e)
        {
            error = e.GetType().FullName;
            if (e is SamplingCanceledException canceled) RecordTokens(canceled.Partial.Usage);
            activity?.SetTag(TelemetryConsts.ErrorType, error).SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            if (_telemetry.OperationDuration.Enabled)
            {
                var tags = new TagList { { TelemetryConsts.OperationName, _operation }, { TelemetryConsts.RequestModel, _model } };
                if (error is not null) tags.Add(TelemetryConsts.ErrorType, error);
                _telemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tags);
            }
        }
    }

    private void RecordTokens(Usage usage)
    {
        if (!_telemetry.TokenUsage.Enabled) return;
        _telemetry.TokenUsage.Record(usage.PromptTokens, new TagList
        {
            { TelemetryConsts.OperationName, _operation }, { TelemetryConsts.RequestModel, _model }, { TelemetryConsts.TokenType, "input" },
        });
        _telemetry.TokenUsage.Record(usage.GeneratedTokens, new TagList
        {
            { TelemetryConsts.OperationName, _operation }, { TelemetryConsts.RequestModel, _model }, { TelemetryConsts.TokenType, "output" },
        });
    }
}
