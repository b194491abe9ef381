using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Training;

/// <summary>
/// Builds the reward model's examples with free labels: the policy's own samples (its real
/// mistakes), gold solutions, and gold solutions with one injected error (every step from the
/// corrupted one on is wrong). Problems come from the training generator, never the evaluation splits.
/// </summary>
public static class PrmDataset
{
    /// <summary>Samples the policy on fresh problems and labels every step; adds gold and corrupted solutions.</summary>
    public static async Task<IReadOnlyList<LabeledSolution>> BuildAsync(ISampler policy, PrmTrainingOptions options,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var problems = ProblemGenerator.GenerateMixed(options.PolicyProblems, unchecked((int)(options.Seed * 7_919 + 17)));
        var random = new SeededRandom(options.Seed);
        var examples = new List<LabeledSolution>();
        for (int i = 0; i < problems.Count; i++)
        {
            var problem = problems[i];
            var result = await policy.SampleAsync(new SampleRequest
            {
                Prompt = problem.Prompt,
                N = options.SamplesPerProblem,
                Options = new SamplingOptions { Temperature = options.SamplingTemperatures[i % options.SamplingTemperatures.Count], MaxNewTokens = 140, Seed = options.Seed * 100_003 + i },
            }, cancellationToken).ConfigureAwait(false);
            foreach (var completion in result.Completions)
                examples.Add(Label(problem, completion.Text, "policy"));

            string gold = SolutionWriter.Write(problem);
            examples.Add(Label(problem, gold, "gold"));
            examples.Add(Label(problem, ErrorInjector.Corrupt(problem, gold, random).Text, "injected"));
            if ((i + 1) % 100 == 0) progress?.Report(i + 1);
        }
        return examples;
    }

    /// <summary>
    /// An endless stream of fresh training problems' solutions, alternating a gold solution and one with an injected
    /// error (each problem gives one of the two), reproducible from <paramref name="seed"/>.
    /// </summary>
    public static IEnumerable<LabeledSolution> Synthetic(long seed)
    {
        var random = new SeededRandom(seed);
        for (int chunk = 0; ; chunk++)
        {
            var problems = ProblemGenerator.GenerateMixed(512, unchecked((int)(seed * 104_729 + chunk)));
            for (int i = 0; i < problems.Count; i++)
            {
                string gold = SolutionWriter.Write(problems[i]);
                yield return i % 2 == 0
                    ? Label(problems[i], gold, "gold")
                    : Label(problems[i], ErrorInjector.Corrupt(problems[i], gold, random).Text, "injected");
            }
        }
    }

    /// <summary>Splits a solution into steps as <see cref="StepTokens.SplitClosed"/> does and labels each with <see cref="StepLabeler"/>.</summary>
    public static LabeledSolution Label(ArithmeticProblem problem, string solution, string source)
    {
        // Steps exactly as the verifier reads them (blank lines included, the last one closed), so every label
        // sits where the verifier will look.
        var steps = StepTokens.SplitClosed(solution, ArithmeticFormat.StepDelimiter);
        var labels = StepLabeler.Label(problem, string.Concat(steps));
        if (labels.Count != steps.Count)
            throw new InvalidOperationException($"Step labeler returned {labels.Count} labels for {steps.Count} steps of '{solution}'.");
        return new LabeledSolution(problem.Prompt, steps, labels, source, FirstErrorOffset(problem, steps, labels));
    }

    /// <summary>
    /// Where the first wrong step goes wrong: every earlier step is right, so that step should read exactly
    /// as the gold solution's step at the same index; the first differing character is the error.
    /// </summary>
    private static int? FirstErrorOffset(ArithmeticProblem problem, IReadOnlyList<string> steps, IReadOnlyList<bool> labels)
    {
        int wrong = StepLabeler.FirstWrongStep(labels);
        if (wrong >= steps.Count) return null;
        var gold = StepTokens.Split(SolutionWriter.Write(problem), ArithmeticFormat.StepDelimiter);
        string written = steps[wrong];
        string expected = wrong < gold.Count ? gold[wrong] : "";
        int i = 0;
        while (i < written.Length && i < expected.Length && written[i] == expected[i]) i++;
        // A step that matches a prefix of the gold one ended too early: the error shows at its last character.
        if (i >= written.Length) i = written.Length - 1;
        return steps.Take(wrong).Sum(s => s.Length) + i;
    }
}
