using System.Globalization;
using System.Text.RegularExpressions;

namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// A tiny stand-in for the arithmetic task: prompt "Q: 7 +5 *3 -4\n", applied left to right, one
/// operation per solution line ("7 + 5 = 12"), final line "A: 32".
/// </summary>
public static partial class FakeArithmetic
{
    public sealed record Parsed(long Start, IReadOnlyList<(char Op, long Operand)> Ops);

    public static Problem Make(int seed, int steps = 4)
    {
        var rng = new Random(seed);
        long start = rng.Next(1, 20);
        var ops = new List<(char, long)>();
        for (int i = 0; i < steps; i++) ops.Add(("+-*"[rng.Next(3)], rng.Next(1, 10)));
        var prompt = "Q: " + start + string.Concat(ops.Select(o => $" {o.Item1}{o.Item2}")) + "\n";
        return new Problem(prompt, $"p{seed}", Solve(new Parsed(start, ops)).ToString(CultureInfo.InvariantCulture));
    }

    public static Parsed Parse(string prompt)
    {
        var parts = prompt.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long start = long.Parse(parts[1], CultureInfo.InvariantCulture);
        var ops = parts.Skip(2).Select(p => (p[0], long.Parse(p[1..], CultureInfo.InvariantCulture))).ToList();
        return new Parsed(start, ops);
    }

    public static long Apply(long a, char op, long b) => op switch { '+' => a + b, '-' => a - b, _ => a * b };

    public static long Solve(Parsed p) => p.Ops.Aggregate(p.Start, (v, o) => Apply(v, o.Op, o.Operand));

    [GeneratedRegex(@"^(-?\d+) ([+\-*]) (-?\d+) = (-?\d+)$")]
    public static partial Regex StepLine();

    /// <summary>A stable string hash (string.GetHashCode is randomized per process).</summary>
    public static ulong Hash(string s, ulong seed = 14695981039346656037UL)
    {
        ulong h = seed;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
