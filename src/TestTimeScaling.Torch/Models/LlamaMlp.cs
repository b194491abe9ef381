using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Gated feed-forward: down(act(gate(x)) * up(x)), with <c>hidden_act</c> and Llama's <c>mlp_bias</c>.</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Projection gate_proj, up_proj, down_proj;
    private readonly string _activation;

    public LlamaMlp(ModelConfig config) : base(nameof(LlamaMlp))
    {
        bool bias = config.HasMlpBias;
        gate_proj = new Projection(config.HiddenSize, config.IntermediateSize, bias);
        up_proj = new Projection(config.HiddenSize, config.IntermediateSize, bias);
        down_proj = new Projection(config.IntermediateSize, config.HiddenSize, bias);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = Activations.Apply(_activation, gate_proj.forward(x)) * up_proj.forward(x);
        return down_proj.forward(hidden).MoveToOuterDisposeScope();
    }
}
