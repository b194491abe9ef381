using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>The token embedding table (<c>weight</c> [vocab, hidden]), allocated uninitialised like <see cref="Projection"/>.</summary>
internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public TokenEmbedding(long vocab, long hidden) : base(nameof(TokenEmbedding))
    {
        weight = nn.Parameter(empty(vocab, hidden));
        RegisterComponents();
    }

    /// <summary>The table itself (owned by this module: do not dispose).</summary>
    public Tensor Weight => weight;

    /// <summary>Rows of the table for token ids of any shape: [.., hidden].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var flat = ids.reshape(-1);
        using var rows = weight.index_select(0, flat);
        return rows.reshape([.. ids.shape, weight.shape[1]]);
    }
}
