namespace TestTimeScaling.Training;

/// <summary>A progress report from a training loop.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Loss">Mean loss over the steps since the last report.</param>
/// <param name="LearningRate">Current learning rate.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, TimeSpan Elapsed);
