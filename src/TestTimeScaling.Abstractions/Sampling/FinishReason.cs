namespace TestTimeScaling;

/// <summary>Why a sample stopped.</summary>
public enum FinishReason
{
    /// <summary>The model emitted an end-of-sequence token or a stop sequence.</summary>
    Stop,
    /// <summary>It reached <see cref="SamplingOptions.MaxNewTokens"/>, the model's context length, or the call's
    /// shared <see cref="SampleRequest.MaxTotalNewTokens"/> allowance.</summary>
    Length,
    /// <summary>It generated <see cref="SamplingOptions.StepDelimiter"/>: one step is done, the solution is not.</summary>
    StepBoundary,
    /// <summary>The call ended before it finished (<see cref="SampleRequest.StopAfterFinished"/> or cancellation).</summary>
    Abandoned,
}
