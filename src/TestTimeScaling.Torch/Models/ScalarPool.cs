using TorchSharp;

namespace TestTimeScaling.Torch;

/// <summary>
/// The scalars of one computation, held until it is disposed: <c>pool[0.5]</c> makes a scalar and keeps it, so
/// libtorch can read it safely for as long as the computation runs (see <see cref="HeldScalars"/> for why a
/// temporary one is not safe). For code that runs once (rotary tables, initialisation), where a field per constant
/// would only add noise.
/// </summary>
internal sealed class ScalarPool : IDisposable
{
    private readonly List<Scalar> _held = [];

    /// <summary>A scalar of <paramref name="value"/>, held until the pool is disposed.</summary>
    public Scalar this[double value] => Hold(value.ToScalar());

    /// <summary>An integer scalar of <paramref name="value"/> (libtorch keeps a tensor's own type with it), held until the pool is disposed.</summary>
    public Scalar Int(long value) => Hold(value.ToScalar());

    private Scalar Hold(Scalar scalar)
    {
        _held.Add(scalar);
        return scalar;
    }

    /// <summary>Frees the scalars.</summary>
    public void Dispose()
    {
        foreach (var s in _held) s.Dispose();
        _held.Clear();
    }
}
