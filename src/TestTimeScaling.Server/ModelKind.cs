namespace TestTimeScaling.Server;

/// <summary>What a served model does.</summary>
public enum ModelKind
{
    /// <summary>A generative model (language-model head): served by the completions routes.</summary>
    Policy,
    /// <summary>A process reward model (token-classification head): served by <c>/pooling</c> and usable as a strategy's verifier.</summary>
    ProcessReward,
}
