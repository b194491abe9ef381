namespace TestTimeScaling.Training;

/// <summary>Quality of the policy (and, when scored, the reward model) on a problem set.</summary>
/// <param name="Problems">Problems evaluated.</param>
/// <param name="SamplesPerProblem">Samples drawn per problem.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="Levels">Figures per difficulty level, then overall (Level 0).</param>
/// <param name="StepAuroc">AUROC of the reward model's step scores against the step labels, when a reward model was given.</param>
public sealed record EvaluationReport(int Problems, int SamplesPerProblem, double Temperature, IReadOnlyList<LevelFigures> Levels, double? StepAuroc)
{
    /// <summary>The overall row.</summary>
    public LevelFigures Overall => Levels.Single(l => l.Level == 0);
}

/// <summary>Accuracies at one difficulty level (0 = all levels).</summary>
/// <param name="Level">Difficulty level, or 0 for all.</param>
/// <param name="Problems">Problems at this level.</param>
/// <param name="SingleSample">Mean accuracy of one sample.</param>
/// <param name="Majority">Accuracy of the majority vote over all samples.</param>
/// <param name="PassAtN">Share of problems with at least one correct sample.</param>
/// <param name="PrmWeighted">Accuracy of the reward-weighted vote (sum of outcome scores per answer), when scored.</param>
/// <param name="PrmBest">Accuracy of the single highest-scored sample, when scored.</param>
public sealed record LevelFigures(int Level, int Problems, double SingleSample, double Majority, double PassAtN, double? PrmWeighted, double? PrmBest);
