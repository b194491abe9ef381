namespace TestTimeScaling;

/// <summary>Shared tallying for <see cref="MajorityVote"/> and <see cref="WeightedVote"/>, so both break ties the same way.</summary>
internal static class VoteCounter
{
    /// <param name="votes">Answers and weights in sampling order.</param>
    /// <param name="tiesToMoreVotes">Break equal sums by the number of votes before first appearance (weighted votes).</param>
    public static VoteResult Count(IEnumerable<(string? Answer, double Score)> votes, bool tiesToMoreVotes = false)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var answers = new List<string>();
        var counts = new List<int>();
        var scores = new List<double>();
        var firsts = new List<int>();
        int abstentions = 0;
        int position = 0;
        foreach (var (answer, score) in votes)
        {
            if (!double.IsFinite(score))
                throw new ArgumentException($"The score of sample {position} is {score}; scores must be finite.", nameof(votes));
            if (answer is null)
            {
                abstentions++;
            }
            else if (index.TryGetValue(answer, out int id))
            {
                counts[id]++;
                scores[id] += score;
            }
            else
            {
                index[answer] = answers.Count;
                answers.Add(answer);
                counts.Add(1);
                scores.Add(score);
                firsts.Add(position);
            }
            position++;
        }

        // Tallies are in first-appearance order, so scanning with a strict '>' keeps the earliest of tied answers.
        int best = -1;
        for (int i = 0; i < answers.Count; i++)
        {
            if (best < 0 || scores[i] > scores[best] || (tiesToMoreVotes && scores[i] == scores[best] && counts[i] > counts[best])) best = i;
        }
        var tallies = new AnswerTally[answers.Count];
        for (int i = 0; i < tallies.Length; i++) tallies[i] = new AnswerTally(answers[i], counts[i], scores[i], firsts[i]);
        return new VoteResult(best < 0 ? null : answers[best], tallies, abstentions);
    }
}
