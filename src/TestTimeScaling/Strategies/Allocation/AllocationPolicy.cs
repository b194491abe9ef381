namespace TestTimeScaling;

/// <summary>How <see cref="ComputeOptimalAllocator"/> spends what is left after the pilots.</summary>
public enum AllocationPolicy
{
    /// <summary>
    /// Greedy by expected gain per token: repeatedly give a few more samples to the problem whose vote they are
    /// expected to improve most per token (<see cref="MajorityGainModel"/>); unanimous pilots stop.
    /// </summary>
    MarginalGain,

    /// <summary>Fixed weights per difficulty level (<see cref="ComputeOptimalAllocator.LevelWeights"/>), one follow-up run per problem.</summary>
    LevelWeights,
}
