namespace TestTimeScaling;

/// <summary>The samples drawn for one evaluation problem: their extracted answers, optional verifier scores, and the reference.</summary>
/// <param name="Answers">Normalized extracted answers, one per sample; null where no answer could be extracted.</param>
/// <param name="ReferenceAnswer">The correct answer, normalized the same way; compared ordinally.</param>
/// <param name="Scores">Verifier scores, one per sample in the same order, for weighted voting; null when unscored.</param>
public sealed record ProblemSamples(IReadOnlyList<string?> Answers, string ReferenceAnswer, IReadOnlyList<double>? Scores = null)
{
    /// <summary>Samples whose answer equals <see cref="ReferenceAnswer"/> (the c of pass@k).</summary>
    public int CorrectCount => Answers.Count(a => string.Equals(a, ReferenceAnswer, StringComparison.Ordinal));

    /// <summary>Throws when the record cannot be evaluated: no samples, a null reference, or scores of another length or not finite.</summary>
    /// <exception cref="ArgumentException">The message names the offending field.</exception>
    public void Validate()
    {
        if (Answers is null || Answers.Count == 0) throw new ArgumentException("A problem needs at least one sample.", nameof(Answers));
        if (ReferenceAnswer is null) throw new ArgumentNullException(nameof(ReferenceAnswer));
        if (Scores is not null)
        {
            if (Scores.Count != Answers.Count)
                throw new ArgumentException($"Scores has {Scores.Count} entries but Answers has {Answers.Count}.", nameof(Scores));
            if (Scores.Any(s => !double.IsFinite(s)))
                throw new ArgumentException("Scores must be finite.", nameof(Scores));
        }
    }
}
