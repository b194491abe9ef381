using TorchSharp;

namespace TestTimeScaling.Torch;

/// <summary>
/// Constant TorchSharp scalars, held for the life of the process.
/// </summary>
/// <remarks>
/// TorchSharp hands a <see cref="Scalar"/>'s native handle to libtorch without keeping the managed object alive, and
/// the object's finalizer frees that handle. A temporary made from a plain number (<c>x + 1e-5</c>,
/// <c>masked_fill(m, 0)</c>, <c>clamp_max(n - 1)</c>) is unreachable while the native call runs, so a collection
/// triggered by another thread (the server's requests, the main job's lanes) can free it mid-call: libtorch then
/// throws "Unknown scalar type" or, worse, reads another value. The library therefore passes only scalars that
/// something holds: these constants, fields made once per module, or <c>using</c> locals for per-call values.
/// tests/TestTimeScaling.Torch.Tests/Reliability/ScalarLifetimeTests scans the sources for any other kind.
/// </remarks>
internal static class HeldScalars
{
    /// <summary>0 (an integer scalar: libtorch keeps the tensor's own type).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>-inf, the logit of an excluded token.</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>a + b. TorchSharp's <c>+</c> and <c>add(b)</c> pass a temporary alpha of 1; this passes a held one.</summary>
    public static torch.Tensor Plus(this torch.Tensor a, torch.Tensor b) => a.add(b, One);

    /// <summary>a + b for a held scalar b (TorchSharp's <c>+</c> would add a temporary alpha).</summary>
    public static torch.Tensor Plus(this torch.Tensor a, Scalar b) => a.add(b, One);

    /// <summary>a += b in place, with a held alpha.</summary>
    public static torch.Tensor PlusInPlace(this torch.Tensor a, torch.Tensor b) => a.add_(b, One);

    /// <summary>1 - a, computed as TorchSharp's <c>1 - a</c> is ((-a) + 1), with held scalars.</summary>
    public static torch.Tensor OneMinus(this torch.Tensor a)
    {
        using var negated = a.negative();
        return negated.add(One, One);
    }

    /// <summary><c>torch.arange(end)</c> with the end held for the call.</summary>
    public static torch.Tensor Arange(long end, torch.ScalarType dtype, torch.Device device)
    {
        using var stop = end.ToScalar();
        return torch.arange(stop, dtype: dtype, device: device);
    }
}
