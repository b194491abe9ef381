using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// <c>--q8-kernels</c>: one pass over every projection of a peer model (per layer q/k/v, o, gate/up, down, then the
/// head) as a decode step makes it, with the fp32 <see cref="Gemv"/> and the Q8_0 <see cref="GemvQ8"/>, at 1 and 8
/// rows, against the bandwidth roofline (an fp32 read of as many bytes) measured in the same process, interleaved
/// round by round. Only the products: the figure is how near the weight reads run to the machine's bandwidth.
/// </summary>
internal static unsafe class QuantizedKernelPass
{
    public static void Run(TextWriter output, string name, int rounds, int threads)
    {
        var config = PeerModels.ByName(name);
        int hidden = config.HiddenSize, inner = config.IntermediateSize;
        int heads = config.NumAttentionHeads * config.HeadDim, qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * config.HeadDim;
        var shapes = Enumerable.Range(0, config.NumHiddenLayers)
            .SelectMany(_ => new[] { (qkv, hidden), (hidden, heads), (2 * inner, hidden), (hidden, inner) })
            .Append((config.VocabSize, hidden)).ToArray();
        var random = new Random(1);
        var dense = shapes.Select(s => Enumerable.Range(0, s.Item1 * s.Item2).Select(_ => (float)(random.NextDouble() - 0.5) * 0.04f).ToArray()).ToArray();
        var quantized = dense.Select((w, i) => { fixed (float* p = w) return Q8Matrix.Quantize(p, shapes[i].Item1, shapes[i].Item2); }).ToArray();
        long fp32Bytes = dense.Sum(w => (long)w.Length * sizeof(float)), q8Bytes = quantized.Sum(q => q.ByteCount);
        var fp32Buffer = new float[fp32Bytes / sizeof(float)];
        var q8Buffer = new float[q8Bytes / sizeof(float)];
        var x = Enumerable.Range(0, 8 * Math.Max(hidden, inner)).Select(i => (float)Math.Sin(i)).ToArray();
        var y = new float[8 * config.VocabSize];

        var cells = new List<(string Name, long Bytes, Action Pass, List<double> Ms)>
        {
            ("roofline fp32-sized read", fp32Bytes, () => Roofline.ParallelSum(fp32Buffer, threads), []),
            ("roofline Q8_0-sized read", q8Bytes, () => Roofline.ParallelSum(q8Buffer, threads), []),
        };
        foreach (int rows in new[] { 1, 8 })
        {
            int r = rows;
            cells.Add(($"Gemv fp32, {rows} row(s)", fp32Bytes, () => Dense(dense, shapes, x, y, r, threads), []));
            cells.Add(($"GemvQ8 Q8_0, {rows} row(s)", q8Bytes, () => Quantized(quantized, x, y, r, threads), []));
        }
        foreach (var cell in cells) cell.Pass();
        for (int round = 0; round < rounds; round++)
            foreach (var cell in cells)
            {
                var clock = Stopwatch.StartNew();
                cell.Pass();
                cell.Ms.Add(clock.Elapsed.TotalMilliseconds);
            }
        double Median(List<double> ms) => ms.Order().ElementAt(ms.Count / 2);
        double roofline = cells[0].Bytes / Median(cells[0].Ms) / 1e6;
        output.WriteLine(FormattableString.Invariant($"{name}, {threads} thread(s), median of {rounds} passes; fp32 weights {fp32Bytes / 1e6:F1} MB, Q8_0 copy {q8Bytes / 1e6:F1} MB"));
        foreach (var cell in cells)
        {
            double ms = Median(cell.Ms), rate = cell.Bytes / ms / 1e6;
            output.WriteLine(FormattableString.Invariant($"  {cell.Name,-28} {ms,8:F2} ms  {rate,6:F1} GB/s  {rate / roofline * 100,5:F0}% of the fp32 roofline"));
        }
    }

    private static void Dense(float[][] weights, (int Outputs, int Inputs)[] shapes, float[] x, float[] y, int rows, int threads)
    {
        fixed (float* xp = x, yp = y)
            for (int i = 0; i < weights.Length; i++)
                fixed (float* w = weights[i])
                    Gemv.Multiply(w, xp, null, yp, rows, shapes[i].Inputs, shapes[i].Outputs, threads);
    }

    private static void Quantized(Q8Matrix[] weights, float[] x, float[] y, int rows, int threads)
    {
        fixed (float* xp = x, yp = y)
            foreach (var w in weights) GemvQ8.Multiply(w, xp, null, yp, rows, threads);
    }
}
