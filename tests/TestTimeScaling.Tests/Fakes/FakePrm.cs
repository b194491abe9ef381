using System.Globalization;

namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// A fake process reward model for <see cref="FakeArithmetic"/>. Like a PRM trained on roll-outs, a step's
/// score says whether the solution so far can still be right: <see cref="Good"/> while every step (the right
/// operation, from the previous value, computed correctly) and the answer line are right, <see cref="Bad"/> from
/// the first wrong one on. Optional deterministic noise. Value = the minimum step score.
/// Can be told to throw.
/// </summary>
public sealed class FakePrm(double noise = 0.0) : IVerifier
{
    public const double Good = 0.9, Bad = 0.1;
    private int _calls;

    public int Calls => _calls;

    /// <summary>Throw on the call with this 1-based number and later.</summary>
    public int? ThrowFromCall { get; set; }

    public VerifierKind Kind => VerifierKind.Process;

    public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int call = Interlocked.Increment(ref _calls);
        if (ThrowFromCall is { } t && call >= t) throw new InvalidOperationException("The fake PRM was told to fail.");
        var parsed = FakeArithmetic.Parse(problem.Prompt);
        return Task.FromResult<IReadOnlyList<VerifierScore>>(solutions.Select(s => Score(parsed, s)).ToList());
    }

    private VerifierScore Score(FakeArithmetic.Parsed problem, string solution)
    {
        long value = problem.Start;
        var steps = new List<double>();
        int step = 0;
        bool allOk = true;
        foreach (var raw in solution.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var m = FakeArithmetic.StepLine().Match(line);
            if (m.Success)
            {
                long a = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), b = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                long c = long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
                bool ok = a == value && step < problem.Ops.Count && m.Groups[2].Value[0] == problem.Ops[step].Op && b == problem.Ops[step].Operand
                          && FakeArithmetic.Apply(a, m.Groups[2].Value[0], b) == c;
                allOk &= ok;
                steps.Add(Noisy(allOk ? Good : Bad, solution, steps.Count));
                value = c;
                step++;
            }
            else if (line.StartsWith("A:", StringComparison.Ordinal))
            {
                bool ok = long.TryParse(line[2..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ans) && ans == value && step == problem.Ops.Count;
                allOk &= ok;
                steps.Add(Noisy(allOk ? Good : Bad, solution, steps.Count));
            }
        }
        return new VerifierScore(steps.Count == 0 ? 0.5 : steps.Min(), steps, steps.Any(x => x < 0.5) ? "A step is wrong." : null);
    }

    private double Noisy(double score, string solution, int index)
    {
        if (noise == 0) return score;
        var u = (FakeArithmetic.Mix(FakeArithmetic.Hash(solution) ^ (ulong)index) % 10_000) / 10_000.0;
        return Math.Clamp(score + (u * 2 - 1) * noise, 0.01, 0.99);
    }
}
