namespace TestTimeScaling;

/// <summary>The votes one distinct answer received.</summary>
/// <param name="Answer">The answer.</param>
/// <param name="Count">How many samples gave it.</param>
/// <param name="Score">Its tally: equal to <paramref name="Count"/> in a majority vote, the sum of its samples' scores in a weighted vote.</param>
/// <param name="FirstIndex">Position of the first sample that gave it; ties are broken in its favour when it is smallest.</param>
public sealed record AnswerTally(string Answer, int Count, double Score, int FirstIndex);
