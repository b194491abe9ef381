namespace TestTimeScaling;

/// <summary>Argument checks shared by the maj@k and weighted@k estimators, so both name parameters alike.</summary>
internal static class SampleValidation
{
    public static void Answers(IReadOnlyList<string?> answers, string referenceAnswer, int k)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(referenceAnswer);
        if (answers.Count == 0) throw new ArgumentException("At least one sampled answer is needed.", nameof(answers));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (k > answers.Count)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must not exceed the number of samples ({answers.Count}).");
    }

    public static void Scores(IReadOnlyList<string?> answers, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count != answers.Count)
            throw new ArgumentException($"scores has {scores.Count} entries but answers has {answers.Count}.", nameof(scores));
        for (int i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"scores[{i}] is {scores[i]}; scores must be finite.", nameof(scores));
        }
    }

    public static void Trials(int trials) => ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);

    public static IReadOnlyList<ProblemSamples> Problems(IEnumerable<ProblemSamples> problems, bool needScores)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var list = problems.ToList();
        if (list.Count == 0) throw new ArgumentException("At least one problem is needed.", nameof(problems));
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null) throw new ArgumentException($"Problem {i} is null.", nameof(problems));
            list[i].Validate();
            if (needScores && list[i].Scores is null)
                throw new ArgumentException($"Problem {i} has no Scores; weighted voting needs one score per sample.", nameof(problems));
        }
        return list;
    }
}
