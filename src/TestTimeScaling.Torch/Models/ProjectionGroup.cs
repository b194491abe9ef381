using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Projections that read the same input (q/k/v, gate/up), computed as one matrix product at no memory cost: one
/// buffer [Σ out, in] holds all their weights, and each projection's <c>weight</c> (and <c>bias</c>) parameter IS a
/// slice of it, so the Hugging Face names, loading by name, saving, export and in-place optimizer updates all see
/// and change the same memory.
/// </summary>
/// <remarks>
/// <c>Module.to</c> replaces parameters that change device or type with fresh tensors; the group notices (the
/// parameters it fused are gone) and computes part by part until <see cref="Fuse"/> rebuilds it, which
/// <see cref="LlamaDecoder"/> does after every move. Under autograd the parts run separately too, so gradients reach
/// each parameter as they would without fusion.
/// </remarks>
internal sealed class ProjectionGroup : IDisposable
{
    private readonly Projection[] _parts;
    private readonly long[] _sizes;
    private Tensor? _weight;
    private Tensor? _bias;
    private Tensor[] _fusedWeights = [];

    public ProjectionGroup(params Projection[] parts)
    {
        if (parts.Length < 2) throw new ArgumentException("A group fuses at least two projections.", nameof(parts));
        if (parts.Any(p => p.Inputs != parts[0].Inputs))
            throw new ArgumentException("Fused projections must read the same number of inputs.", nameof(parts));
        if (parts.Any(p => (p.Bias is null) != (parts[0].Bias is null)))
            throw new ArgumentException("Fused projections must all have a bias or all have none.", nameof(parts));
        _parts = parts;
        _sizes = parts.Select(p => p.Outputs).ToArray();
        Fuse();
    }

    /// <summary>Whether the parts' parameters are still the slices of this group's buffer.</summary>
    public bool IsFused
    {
        get
        {
            if (_weight is null) return false;
            for (int i = 0; i < _parts.Length; i++)
                if (!ReferenceEquals(_parts[i].Weight, _fusedWeights[i])) return false;
            return true;
        }
    }

    /// <summary>
    /// (Re)builds the buffer on the parts' current device and type, copies their values in, and points each parameter
    /// at its slice (the parameter objects stay the same, so optimizers holding them keep working).
    /// </summary>
    public void Fuse()
    {
        if (IsFused && _weight!.dtype == _parts[0].Weight.dtype && _weight.device == _parts[0].Weight.device) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var first = _parts[0].Weight;
        var weight = empty([_sizes.Sum(), _parts[0].Inputs], first.dtype, first.device);
        var bias = _parts[0].Bias is { } b0 ? empty([_sizes.Sum()], b0.dtype, b0.device) : null;
        long offset = 0;
        for (int i = 0; i < _parts.Length; i++)
        {
            Adopt(_parts[i].Weight, weight.narrow(0, offset, _sizes[i]));
            if (bias is not null) Adopt(_parts[i].Bias!, bias.narrow(0, offset, _sizes[i]));
            offset += _sizes[i];
        }
        _weight?.Dispose();
        _bias?.Dispose();
        _weight = weight.MoveToOuterDisposeScope();
        _bias = bias?.MoveToOuterDisposeScope();
        _fusedWeights = _parts.Select(p => p.Weight).ToArray();
    }

    // Copies the parameter's values into its slice, then makes the parameter that slice (same object, new storage).
    private static void Adopt(Tensor parameter, Tensor slice)
    {
        slice.copy_(parameter);
        var result = parameter.set_(slice);
        if (!ReferenceEquals(result, parameter)) result.Dispose();
    }

    /// <summary>Each part's output for x [.., in]: one product over the buffer split into views, or part by part.</summary>
    public Tensor[] Forward(Tensor x)
    {
        using var joined = ForwardJoined(x);
        return joined is null ? _parts.Select(p => p.forward(x)).ToArray() : Split(joined);
    }

    /// <summary>
    /// The one product [.., Σ out] (parts side by side, in order) when the group is fused and autograd is not
    /// tracking its parameters, for kernels that read the parts in place; otherwise null (use <see cref="Forward"/>).
    /// </summary>
    public Tensor? ForwardJoined(Tensor x)
    {
        bool needsGrad = is_grad_enabled() && _parts.Any(p => p.Weight.requires_grad || (p.Bias?.requires_grad ?? false));
        return needsGrad || !IsFused || !CpuKernel.Enabled ? null : Projection.Apply(x, _weight!, _bias);
    }

    /// <summary>The fused weight buffer [Σ out, in] while <see cref="IsFused"/>, else null (for kernels that read it in place).</summary>
    public Tensor? JoinedWeight => IsFused ? _weight : null;

    /// <summary>The fused bias buffer [Σ out] while <see cref="IsFused"/> and the parts have biases, else null.</summary>
    public Tensor? JoinedBias => IsFused ? _bias : null;

    /// <summary>Each part's output as a view of a <see cref="ForwardJoined"/> result.</summary>
    public Tensor[] Split(Tensor joined) => joined.split(_sizes, -1);

    /// <summary>Where each part's columns start in <see cref="ForwardJoined"/>'s output.</summary>
    public long Offset(int part) => _sizes.Take(part).Sum();

    public void Dispose()
    {
        _weight?.Dispose();
        _bias?.Dispose();
        _weight = null;
        _bias = null;
    }
}
