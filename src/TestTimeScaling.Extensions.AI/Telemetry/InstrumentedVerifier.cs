using System.Diagnostics;

namespace TestTimeScaling.Extensions.AI;

/// <summary>A verifier that reports each scoring call as a <c>verify {verifier}</c> span.</summary>
internal sealed class InstrumentedVerifier : IVerifier
{
    private readonly IVerifier _inner;
    private readonly ScalingTelemetry _telemetry;
    private readonly string _name;

    public InstrumentedVerifier(IVerifier inner, ScalingTelemetry telemetry)
    {
        _inner = inner;
        _telemetry = telemetry;
        _name = inner.GetType().Name;
    }

    public VerifierKind Kind => _inner.Kind;

    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        using var activity = _telemetry.Source.StartActivity($"{TelemetryConsts.OperationVerify} {_name}");
        activity?.SetTag(TelemetryConsts.OperationName, TelemetryConsts.OperationVerify)
            .SetTag(TelemetryConsts.VerifierKind, _inner.Kind.ToString().ToLowerInvariant())
            .SetTag(TelemetryConsts.VerifierCandidates, solutions?.Count);
        try
        {
            return await _inner.ScoreAsync(problem, solutions!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            activity?.SetTag(TelemetryConsts.ErrorType, e.GetType().FullName).SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
