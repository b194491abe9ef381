using TorchSharp;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Training;

/// <summary>
/// Platt scaling of a trained reward model, folded into its score head: the outcome score sigmoid(z) becomes
/// sigmoid(<c>Scale</c> z + <c>Shift</c>), fitted by logistic regression on the policy's own samples of training
/// problems, so that a score reads as the chance the solution is right and a reward-weighted vote is not dominated by
/// overconfident scores. Every step logit is transformed alike and monotonically: rankings (best-of-N, AUROC) stay as they were.
/// </summary>
public static class PrmCalibration
{
    /// <summary>
    /// Samples the policy <paramref name="samples"/> times at <paramref name="temperature"/> on
    /// <paramref name="problems"/> fresh training problems (never an evaluation problem), scores every solution, and
    /// fits (scale, shift) on the outcome score's logit against "every step is right".
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="problems"/> or <paramref name="samples"/> is not positive, or <paramref name="temperature"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The samples are all right or all wrong, so there is nothing to fit.</exception>
    public static async Task<(double Scale, double Shift)> FitAsync(ISampler policy, ProcessRewardVerifier prm, int problems, int samples = 8,
        double temperature = 0.8, long seed = 3, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(prm);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(problems);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(temperature);
        var set = ProblemGenerator.GenerateMixed(problems, unchecked((int)(seed * 6_151 + 29)));
        var logits = new List<double>();
        var labels = new List<bool>();
        for (int i = 0; i < set.Count; i++)
        {
            var result = await policy.SampleAsync(new SampleRequest
            {
                Prompt = set[i].Prompt,
                N = samples,
                Options = new SamplingOptions { Temperature = temperature, MaxNewTokens = 140, Seed = seed * 999_983 + i },
            }, cancellationToken).ConfigureAwait(false);
            var texts = result.Completions.Select(c => c.Text).ToList();
            var scores = await prm.ScoreAsync(set[i].ToProblem(), texts, cancellationToken).ConfigureAwait(false);
            for (int j = 0; j < texts.Count; j++)
            {
                logits.Add(Logit(scores[j].Value));
                labels.Add(PrmDataset.Label(set[i], texts[j], "calibration").Labels.All(l => l));
            }
        }
        if (labels.All(l => l) || labels.All(l => !l))
            throw new InvalidOperationException($"The {labels.Count} calibration samples are all {(labels[0] ? "right" : "wrong")}; nothing to fit.");
        return Fit(logits, labels);
    }

    /// <summary>
    /// Logistic regression of <paramref name="labels"/> on <paramref name="logits"/> (Newton's method with step halving,
    /// a small ridge on the scale's distance from 1 so that separable data stays finite).
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static (double Scale, double Shift) Fit(IReadOnlyList<double> logits, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count || logits.Count == 0) throw new ArgumentException($"{logits.Count} logits but {labels.Count} labels; both must be equal in number and non-empty.", nameof(labels));
        const double ridge = 1e-3;
        double Loss(double a, double b)
        {
            double sum = 0;
            for (int k = 0; k < logits.Count; k++)
            {
                double m = (labels[k] ? 1 : -1) * (a * logits[k] + b);
                // -log sigmoid(m), computed without overflow.
                sum += m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));
            }
            return sum / logits.Count + ridge / 2 * (a - 1) * (a - 1);
        }

        double scale = 1, shift = 0, loss = Loss(scale, shift);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            // Gradient and Hessian of the loss in (scale, shift).
            double ga = ridge * (scale - 1), gb = 0, haa = ridge, hab = 0, hbb = 0;
            for (int k = 0; k < logits.Count; k++)
            {
                double z = logits[k], p = 1 / (1 + Math.Exp(-(scale * z + shift)));
                double r = (p - (labels[k] ? 1 : 0)) / logits.Count, w = p * (1 - p) / logits.Count;
                ga += r * z; gb += r;
                haa += w * z * z; hab += w * z; hbb += w;
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) break;
            double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
            double step = 1, next = Loss(scale - da, shift - db);
            while (next > loss && step > 1e-6)
            {
                step /= 2;
                next = Loss(scale - step * da, shift - step * db);
            }
            if (next > loss) break;
            scale -= step * da;
            shift -= step * db;
            bool converged = loss - next < 1e-12;
            loss = next;
            if (converged) break;
        }
        return (scale, shift);
    }

    /// <summary>Folds the scaling into <paramref name="model"/>'s one-label score head: weight × scale, bias × scale + shift.</summary>
    /// <exception cref="ArgumentException">The model has no one-label score head with a bias.</exception>
    public static void Apply(LlamaDecoder model, double scale, double shift)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = model.StateDict();
        if (model.Config.NumLabels != 1 || !state.TryGetValue("score.weight", out var weight) || !state.TryGetValue("score.bias", out var bias))
            throw new ArgumentException($"'{model.Config.Architecture}' has no one-label score head with score.weight and score.bias.", nameof(model));
        using var noGrad = no_grad();
        using var a = scale.ToScalar();
        using var b = shift.ToScalar();
        weight.mul_(a);
        using var one = 1.ToScalar(); // add_(b) would pass a temporary alpha of 1
        bias.mul_(a).add_(b, one);
    }

    private static double Logit(double p)
    {
        double q = Math.Clamp(p, 1e-7, 1 - 1e-7);
        return Math.Log(q / (1 - q));
    }
}
