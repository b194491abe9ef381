using System.Globalization;
using System.Text;

namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// A deterministic fake model for <see cref="FakeArithmetic"/> problems. Each row continues its prefix:
/// it reads the steps already written, then writes the rest, making each step wrong with probability
/// <see cref="StepErrorRate"/> (errors propagate). One character is one token. It honours N, Prefixes,
/// StepDelimiter (pauses after it), MaxNewTokens (Length), StopAfterFinished (the others are cut at the
/// finishers' length and Abandoned, charged only what they generated), MaxTotalNewTokens when its capabilities
/// say so (rows are played out in lock step like a batched engine, see <see cref="Decode"/>), cancellation
/// between decode steps, and the seed.
/// After a line it does not understand (such as "Wait") it writes ", let me check.\n" and goes on.
/// </summary>
public sealed class ScriptedSampler(double stepErrorRate = 0.25, SamplerCapabilities? capabilities = null) : ISampler
{
    private long _unseeded;

    public double StepErrorRate { get; } = stepErrorRate;

    /// <summary>Probability of writing a filler line "(checking)" after a step, so solutions differ in length.</summary>
    public double Verbosity { get; init; }

    /// <summary>When set, counts this sampler's decode steps (and lets a test cancel at a given step).</summary>
    public DecodeClock? Clock { get; init; }

    /// <summary>When set, every call returns zero completions (and zero usage).</summary>
    public bool ReturnNothing { get; set; }

    public SamplerCapabilities Capabilities { get; } = capabilities ?? new SamplerCapabilities { SharedTokenAllowance = true };

    public int CountTokens(string text) => text.Length;

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        if (ReturnNothing) return new SampleResult([], Usage.Zero);
        if (request.RowCount > Capabilities.MaxRowsPerRequest) throw new ArgumentException("Too many rows.", nameof(request));
        var problem = FakeArithmetic.Parse(request.Prompt[request.Prompt.LastIndexOf("Q:", StringComparison.Ordinal)..].Split('\n')[0]);
        ulong seed = request.Options.Seed is { } s ? (ulong)s : (ulong)Interlocked.Increment(ref _unseeded) * 7919UL + (ulong)Environment.TickCount64;

        var rows = new List<(int Prefix, string Text, FinishReason Reason)>();
        for (int p = 0; p < request.Prefixes.Count; p++)
            for (int j = 0; j < request.N; j++)
            {
                var rng = new Random((int)(FakeArithmetic.Mix(seed ^ FakeArithmetic.Hash(request.Prefixes[p]) ^ (ulong)(p * 1000 + j)) & 0x7FFFFFFF));
                var full = Continue(problem, request.Prefixes[p], rng);
                var reason = FinishReason.Stop;
                if (request.Options.StepDelimiter is { } d)
                {
                    int k = full.IndexOf(d, StringComparison.Ordinal);
                    if (k >= 0 && k + d.Length < full.Length) { full = full[..(k + d.Length)]; reason = FinishReason.StepBoundary; }
                }
                if (full.Length > request.Options.MaxNewTokens) { full = full[..request.Options.MaxNewTokens]; reason = FinishReason.Length; }
                rows.Add((p, full, reason));
            }

        var (completions, steps) = Decode(rows, request, cancellationToken);
        var usage = new Usage
        {
            PromptTokens = request.Prompt.Length + request.Prefixes.Sum(x => x.Length),
            GeneratedTokens = completions.Sum(c => c.GeneratedTokens),
            ForwardPasses = steps + 1,
        };
        return new SampleResult(completions, usage);
    }

    /// <summary>
    /// Plays the rows out the way a batched engine decodes them: one token per live row per step, in lock step.
    /// Each step first checks the token (a cancelled call throws <see cref="SamplingCanceledException"/> with what was
    /// generated), then draws one token per live row from the shared allowance (when the capabilities say it is
    /// honoured; rows later in the request are cut with Length when it runs short), then ticks the <see cref="Clock"/>.
    /// StopAfterFinished abandons the rest once enough rows have finished.
    /// </summary>
    private (List<Completion> Completions, int Steps) Decode(List<(int Prefix, string Text, FinishReason Reason)> rows, SampleRequest request,
        CancellationToken cancellationToken)
    {
        var length = new int[rows.Count];
        var finish = new FinishReason?[rows.Count];
        long? allowance = Capabilities.SharedTokenAllowance ? request.MaxTotalNewTokens : null;
        long generated = 0;
        int finished = 0, steps = 0;
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].Text.Length == 0) { finish[i] = rows[i].Reason; finished++; }
        List<Completion> Snapshot() => rows.Select((r, i) => new Completion
        {
            PrefixIndex = r.Prefix,
            Text = r.Text[..length[i]],
            TokenIds = r.Text[..length[i]].Select(c => (int)c).ToArray(),
            Logprobs = Enumerable.Repeat(-0.5f, length[i]).ToArray(),
            FinishReason = finish[i] ?? FinishReason.Abandoned,
        }).ToList();

        while (finish.Any(f => f is null))
        {
            if (request.StopAfterFinished is { } k && Capabilities.StopAfterFinished && finished >= k)
            {
                for (int i = 0; i < rows.Count; i++) finish[i] ??= FinishReason.Abandoned;
                break;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                var partial = Snapshot();
                throw new SamplingCanceledException(new SampleResult(partial, new Usage { GeneratedTokens = generated, ForwardPasses = steps + 1 }), cancellationToken);
            }
            for (int i = 0; i < rows.Count; i++)
            {
                if (finish[i] is not null) continue;
                if (allowance is { } a && generated >= a) { finish[i] = FinishReason.Length; finished++; continue; }
                length[i]++;
                generated++;
                if (length[i] == rows[i].Text.Length) { finish[i] = rows[i].Reason; finished++; }
            }
            steps++;
            Clock?.Tick();
        }
        return (Snapshot(), steps);
    }

    private string Continue(FakeArithmetic.Parsed problem, string prefix, Random rng)
    {
        long value = problem.Start;
        int step = 0;
        var lines = prefix.Split('\n');
        // Complete lines move the state forward; answer lines and unknown lines ("Wait") do not.
        for (int i = 0; i < lines.Length - 1; i++)
        {
            var m = FakeArithmetic.StepLine().Match(lines[i]);
            if (m.Success) { value = long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture); step++; }
        }
        var sb = new StringBuilder();
        var partial = lines[^1];
        if (partial.Length > 0)
        {
            if (partial.TrimStart().StartsWith("A:", StringComparison.Ordinal))
                return (partial.EndsWith(' ') ? "" : " ") + value.ToString(CultureInfo.InvariantCulture);
            sb.Append(", let me check.\n");
        }
        for (; step < problem.Ops.Count; step++)
        {
            var (op, operand) = problem.Ops[step];
            long result = FakeArithmetic.Apply(value, op, operand);
            if (rng.NextDouble() < StepErrorRate) result += rng.Next(2) == 0 ? -rng.Next(1, 4) : rng.Next(1, 4);
            sb.Append(CultureInfo.InvariantCulture, $"{value} {op} {operand} = {result}\n");
            if (Verbosity > 0 && rng.NextDouble() < Verbosity) sb.Append("(checking)\n");
            value = result;
        }
        sb.Append(CultureInfo.InvariantCulture, $"A: {value}");
        return sb.ToString();
    }
}
