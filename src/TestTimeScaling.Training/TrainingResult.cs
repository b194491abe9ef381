using TestTimeScaling.Torch;

namespace TestTimeScaling.Training;

/// <summary>A trained model and its loss curve.</summary>
/// <param name="Model">The trained model (owned by the caller: dispose it).</param>
/// <param name="Losses">Loss at every step.</param>
/// <param name="Elapsed">Training time.</param>
public sealed record TrainingResult(LlamaDecoder Model, IReadOnlyList<double> Losses, TimeSpan Elapsed)
{
    /// <summary>Number of parameters, taken at the end of training (still known after the model is disposed).</summary>
    public long ParameterCount { get; } = Model.parameters().Sum(p => p.numel());
}
