namespace TestTimeScaling;

/// <summary>A proposed number of parallel samples and what the coverage model predicts for it.</summary>
/// <param name="Samples">Samples to draw.</param>
/// <param name="SuccessRate">The per-sample success rate planned with (the mean over problems for a set).</param>
/// <param name="PredictedCoverage">F(Samples): predicted chance that at least one sample succeeds (mean over problems for a set).</param>
/// <param name="MarginalGain">F(Samples + 1) − F(Samples): what one more sample would add, per sample.</param>
/// <param name="Capped">True when <see cref="SaturationOptions.MaxSamples"/> stopped the plan before saturation.</param>
/// <param name="ExpectedGeneratedTokens">Samples × <see cref="SaturationOptions.TokensPerSample"/>, when that is set.</param>
public sealed record SaturationPlan(int Samples, double SuccessRate, double PredictedCoverage, double MarginalGain, bool Capped, double? ExpectedGeneratedTokens);
