using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Training;

/// <summary>Measures the embedded models: sampled accuracy, majority vote, pass@N, and the reward model's quality.</summary>
public static class ModelEvaluator
{
    /// <summary>Samples every problem <paramref name="samples"/> times and scores the results.</summary>
    public static async Task<EvaluationReport> EvaluateAsync(ISampler policy, IReadOnlyList<ArithmeticProblem> problems,
        int samples = 16, double temperature = 0.8, long seed = 1, ProcessRewardVerifier? prm = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var extractor = ArithmeticAnswerExtractor.Instance;
        var rows = new List<(int Level, double Single, bool Majority, bool Any, bool? Weighted, bool? Best)>();
        var stepScores = new List<double>();
        var stepLabels = new List<bool>();
        var sizes = Enumerable.Range(0, 31).Select(k => 1 << k).TakeWhile(n => n <= samples).ToList();
        // Per problem and N: the accuracy of each method averaged over the problem's disjoint groups of N samples.
        var curveRows = new List<(double Majority, double Weighted, double Best)[]>();
        var misses = new List<string>();
        for (int i = 0; i < problems.Count; i++)
        {
            var problem = problems[i];
            var result = await policy.SampleAsync(new SampleRequest
            {
                Prompt = problem.Prompt,
                N = samples,
                Options = new SamplingOptions { Temperature = temperature, MaxNewTokens = 140, Seed = seed * 1_000_003 + i },
            }, cancellationToken).ConfigureAwait(false);
            var texts = result.Completions.Select(c => c.Text).ToList();
            var answers = texts.Select(extractor.Extract).ToList();
            var correct = answers.Select(a => a == problem.AnswerText).ToList();
            bool majority = MajorityVote.Select(answers).Winner == problem.AnswerText;

            bool? weighted = null, best = null;
            if (prm is not null)
            {
                var scores = await prm.ScoreAsync(problem.ToProblem(), texts, cancellationToken).ConfigureAwait(false);
                var values = scores.Select(s => s.Value).ToList();
                weighted = Weighted(Enumerable.Range(0, texts.Count));
                best = Best(Enumerable.Range(0, texts.Count));
                if (best == false && correct.Contains(true)) misses.Add(MissKind(problem, texts[Top(Enumerable.Range(0, texts.Count))]));
                curveRows.Add(sizes.Select(n =>
                {
                    var groups = Enumerable.Range(0, samples / n).Select(g => Enumerable.Range(g * n, n).ToList()).ToList();
                    return (groups.Average(g => MajorityVote.Select(g.Select(j => answers[j])).Winner == problem.AnswerText ? 1.0 : 0.0),
                        groups.Average(g => Weighted(g) ? 1.0 : 0.0), groups.Average(g => Best(g) ? 1.0 : 0.0));
                }).ToArray());
                for (int j = 0; j < texts.Count; j++)
                {
                    // Label splits the text exactly as the verifier does: one label per step score.
                    var labeled = PrmDataset.Label(problem, texts[j], "eval");
                    stepScores.AddRange(scores[j].StepScores!);
                    stepLabels.AddRange(labeled.Labels);
                }

                bool Weighted(IEnumerable<int> group) =>
                    WeightedVote.Select(group.Select(j => answers[j]).ToList(), group.Select(j => values[j]).ToList()).Winner == problem.AnswerText;

                // As the library's best-of-N does: only a solution with an answer can win (a cut-off one has none).
                bool Best(IEnumerable<int> group) => correct[Top(group)];

                int Top(IEnumerable<int> group)
                {
                    var members = group.ToList();
                    return members.Where(j => answers[j] is not null).DefaultIfEmpty(members[0]).MaxBy(j => values[j]);
                }
            }
            rows.Add((problem.Level, correct.Count(c => c) / (double)samples, majority, correct.Any(c => c), weighted, best));
            if ((i + 1) % 25 == 0) progress?.Report(i + 1);
        }

        static LevelFigures Figures(int level, IReadOnlyList<(int Level, double Single, bool Majority, bool Any, bool? Weighted, bool? Best)> r) => new(
            level, r.Count, r.Average(x => x.Single), r.Average(x => x.Majority ? 1.0 : 0.0), r.Average(x => x.Any ? 1.0 : 0.0),
            r[0].Weighted is null ? null : r.Average(x => x.Weighted!.Value ? 1.0 : 0.0),
            r[0].Best is null ? null : r.Average(x => x.Best!.Value ? 1.0 : 0.0));

        var levels = rows.GroupBy(r => r.Level).OrderBy(g => g.Key).Select(g => Figures(g.Key, g.ToList())).ToList();
        levels.Add(Figures(0, rows));
        double? auroc = stepLabels.Distinct().Count() == 2 ? Auroc.Compute(stepScores, stepLabels) : null;
        var report = new EvaluationReport(problems.Count, samples, temperature, levels, auroc);
        if (prm is null || problems.Count == 0) return report;

        var curve = sizes.Select((n, k) =>
        {
            var (best, half) = PairedDifference.MeanInterval(curveRows.Select(r => r[k].Best).ToList());
            return new ScalingPoint(n, curveRows.Average(r => r[k].Majority), curveRows.Average(r => r[k].Weighted), best, best - half, best + half);
        }).ToList();
        var differences = rows.Select(r => (r.Weighted!.Value ? 1.0 : 0.0) - (r.Majority ? 1.0 : 0.0)).ToList();
        var missKinds = misses.GroupBy(m => m).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        return report with { Curve = curve, WeightedMinusMajority = PairedDifference.Of(differences), BestOfNMisses = missKinds };
    }

    /// <summary>
    /// Where a wrong solution that best-of-N chose goes wrong: "no answer", "answer line" (every step right, the
    /// <c>A:</c> line wrong), or the operation of its first wrong step ("step +", "step -", "step *", "step /").
    /// </summary>
    private static string MissKind(ArithmeticProblem problem, string text)
    {
        if (ArithmeticAnswerExtractor.Instance.Extract(text) is null) return "no answer";
        var labeled = PrmDataset.Label(problem, text, "eval");
        int wrong = StepLabeler.FirstWrongStep(labeled.Labels);
        if (wrong >= labeled.Steps.Count) return "answer line";
        string step = labeled.Steps[wrong].TrimStart();
        if (step.StartsWith('A')) return "answer line";
        // The operator follows the step's first operand (which may carry a sign).
        int i = step.Length > 0 && step[0] == '-' ? 1 : 0;
        while (i < step.Length && char.IsAsciiDigit(step[i])) i++;
        return i < step.Length && "+-*/".Contains(step[i], StringComparison.Ordinal) ? $"step {step[i]}" : "other step";
    }
}
