namespace TestTimeScaling.Training;

/// <summary>Linear warm-up, then cosine decay to a floor: the usual schedule for small transformers.</summary>
/// <param name="PeakLearningRate">Rate at the end of warm-up.</param>
/// <param name="WarmupSteps">Steps of linear warm-up from 0.</param>
/// <param name="TotalSteps">Steps in the whole run.</param>
/// <param name="FloorFraction">Final rate as a fraction of the peak.</param>
public sealed record CosineSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, double FloorFraction = 0.1)
{
    /// <summary>Learning rate at (0-based) step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
        double floor = PeakLearningRate * FloorFraction;
        return floor + (PeakLearningRate - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
