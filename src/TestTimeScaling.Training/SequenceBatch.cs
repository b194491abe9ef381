using static TorchSharp.torch;

namespace TestTimeScaling.Training;

/// <summary>Right-padded token ids [B, T] with per-position targets (-100 where nothing is learned).</summary>
internal static class SequenceBatch
{
    public const long Ignore = -100;

    /// <summary>Pads token lists and their targets into two int64 tensors.</summary>
    public static (Tensor Inputs, Tensor Targets) Collate(IReadOnlyList<int[]> inputs, IReadOnlyList<long[]> targets, int padId)
    {
        int width = inputs.Max(s => s.Length);
        var ids = new long[inputs.Count * width];
        var labels = new long[inputs.Count * width];
        Array.Fill(ids, padId);
        Array.Fill(labels, Ignore);
        for (int r = 0; r < inputs.Count; r++)
        {
            for (int t = 0; t < inputs[r].Length; t++) ids[r * width + t] = inputs[r][t];
            for (int t = 0; t < targets[r].Length; t++) labels[r * width + t] = targets[r][t];
        }
        return (tensor(ids, [inputs.Count, width], dtype: ScalarType.Int64), tensor(labels, [inputs.Count, width], dtype: ScalarType.Int64));
    }
}
