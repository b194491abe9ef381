using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// A linear layer y = x Wᵀ + b whose parameters (<c>weight</c> [out, in], optional <c>bias</c> [out]) start
/// uninitialised: a loader or <see cref="LlamaDecoder.Create"/> overwrites them, so the random
/// initialisation nn.Linear performs would be wasted work.
/// </summary>
internal sealed class Projection : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;

    public Projection(long inputs, long outputs, bool hasBias) : base(nameof(Projection))
    {
        weight = nn.Parameter(empty(outputs, inputs));
        if (hasBias) bias = nn.Parameter(empty(outputs));
        RegisterComponents();
    }

    /// <summary>The weight [out, in] (owned by this module: do not dispose). <c>Module.to</c> may replace it, so read it per use.</summary>
    public Tensor Weight => weight;

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias => bias;

    /// <summary>Input features.</summary>
    public long Inputs => weight.shape[1];

    /// <summary>Output features.</summary>
    public long Outputs => weight.shape[0];

    public override Tensor forward(Tensor x) => Apply(x, weight, bias);

    /// <summary>x Wᵀ + b through the few-row CPU kernel where it is enabled and applies, else libtorch's linear.</summary>
    internal static Tensor Apply(Tensor x, Tensor weight, Tensor? bias) =>
        Gemv.Enabled && Gemv.Applies(x, weight, bias) ? Gemv.Linear(x, weight, bias) : nn.functional.linear(x, weight, bias);
}
