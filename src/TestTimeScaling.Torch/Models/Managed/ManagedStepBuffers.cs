using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TestTimeScaling.Torch;

/// <summary>
/// The scratch memory of one <see cref="ManagedDecodeStep"/> call for up to <see cref="Rows"/> rows, made once
/// and reused (one set per thread that steps the decoder at the same time). Arrays on the pinned heap: their
/// addresses stay valid while kernel threads read them, and they need no freeing.
/// </summary>
internal sealed unsafe class ManagedStepBuffers
{
    private readonly float[] _hidden, _normed, _qkv, _attention, _projected, _gateUp, _activated, _cos, _sin;
    private readonly ManagedAttention.RowKeys[] _rows;
    private float[] _scores = [];

    public ManagedStepBuffers(ModelConfig config, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        Rows = rows;
        int qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * config.HeadDim;
        _hidden = Pinned(rows * config.HiddenSize);
        _normed = Pinned(rows * config.HiddenSize);
        _qkv = Pinned(rows * qkv);
        _attention = Pinned(rows * config.NumAttentionHeads * config.HeadDim);
        _projected = Pinned(rows * config.HiddenSize);
        _gateUp = Pinned(rows * 2 * config.IntermediateSize);
        _activated = Pinned(rows * config.IntermediateSize);
        _cos = Pinned(rows * Math.Max(config.RotaryDim, 1));
        _sin = Pinned(rows * Math.Max(config.RotaryDim, 1));
        _rows = GC.AllocateArray<ManagedAttention.RowKeys>(rows, pinned: true);
    }

    /// <summary>Most rows a step with these buffers may have.</summary>
    public int Rows { get; }

    /// <summary>The residual stream [rows, hidden].</summary>
    public float* Hidden => Address(_hidden);

    /// <summary>A normed copy of the stream [rows, hidden].</summary>
    public float* Normed => Address(_normed);

    /// <summary>The fused q/k/v product [rows, (heads + 2 kv_heads) · head_dim].</summary>
    public float* Qkv => Address(_qkv);

    /// <summary>Attention's output [rows, heads · head_dim].</summary>
    public float* Attention => Address(_attention);

    /// <summary>A projection back to the stream [rows, hidden] (o_proj, down_proj).</summary>
    public float* Projected => Address(_projected);

    /// <summary>The fused gate/up product [rows, 2 · intermediate].</summary>
    public float* GateUp => Address(_gateUp);

    /// <summary>act(gate) · up [rows, intermediate].</summary>
    public float* Activated => Address(_activated);

    /// <summary>Each row's rotary cos [rows, rotary_dim].</summary>
    public float* Cos => Address(_cos);

    /// <summary>Each row's rotary sin [rows, rotary_dim].</summary>
    public float* Sin => Address(_sin);

    /// <summary>Where each row's keys are [rows]: its position (its cache length before the step) and its shared segment.</summary>
    public ManagedAttention.RowKeys* Keys => (ManagedAttention.RowKeys*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_rows));

    /// <summary>Attention weights for <paramref name="pairs"/> (row, head) pairs of <paramref name="stride"/> keys each, grown when needed.</summary>
    public float* Scores(int pairs, int stride)
    {
        long need = (long)pairs * stride;
        if (_scores.Length < need)
            _scores = Pinned(checked((int)Math.Max(need, _scores.Length + (long)_scores.Length / 2)));
        return Address(_scores);
    }

    private static float[] Pinned(int length) => GC.AllocateUninitializedArray<float>(length, pinned: true);

    private static float* Address(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
