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

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias);
}
