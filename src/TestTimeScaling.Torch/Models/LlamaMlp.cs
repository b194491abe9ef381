using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Gated feed-forward: down(act(gate(x)) * up(x)), with <c>hidden_act</c> and Llama's <c>mlp_bias</c>.</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Projection gate_proj, up_proj, down_proj;
    private readonly string _activation;
    // gate and up weights are slices of one buffer: one product per call instead of two.
    private readonly ProjectionGroup _gateUp;

    public LlamaMlp(ModelConfig config) : base(nameof(LlamaMlp))
    {
        bool bias = config.HasMlpBias;
        gate_proj = new Projection(config.HiddenSize, config.IntermediateSize, bias);
        up_proj = new Projection(config.HiddenSize, config.IntermediateSize, bias);
        down_proj = new Projection(config.IntermediateSize, config.HiddenSize, bias);
        _activation = config.HiddenAct;
        _gateUp = new ProjectionGroup(gate_proj, up_proj);
        RegisterComponents();
    }

    /// <summary>The fused gate/up projections (gate columns, then up).</summary>
    internal ProjectionGroup GateUp => _gateUp;

    /// <summary>The down projection.</summary>
    internal Projection Down => down_proj;

    /// <summary>The <c>hidden_act</c> name.</summary>
    internal string Activation => _activation;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor hidden;
        var joined = _gateUp.ForwardJoined(x);
        if (_activation is "silu" or "swish" && joined is not null && SwiGluKernel.Applies(joined))
        {
            hidden = SwiGluKernel.Apply(joined);
        }
        else
        {
            var gateUp = joined is not null ? _gateUp.Split(joined) : _gateUp.Forward(x);
            hidden = Activations.Apply(_activation, gateUp[0]) * gateUp[1];
        }
        return down_proj.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Rebuilds the fused gate/up buffer after <c>Module.to</c> replaced the parameters.</summary>
    internal void Fuse() => _gateUp.Fuse();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gateUp.Dispose();
        base.Dispose(disposing);
    }
}
