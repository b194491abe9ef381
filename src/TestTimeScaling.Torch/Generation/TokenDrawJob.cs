using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TestTimeScaling.Torch;

/// <summary>
/// One call of <see cref="CpuTokenDraw"/>: the rows' logits and results by address, the per-block sums, and the unit
/// of work the kernel threads claim next. It lives on the caller's stack while <see cref="KernelThreads"/> runs it.
/// </summary>
/// <remarks>
/// A row is worked in three steps: its maximum (the draw) or best token (greedy); per block of 256 the sums of the
/// weights (kept after min-p, before min-p, and untempered for the logprob); then, in block order, the totals, the
/// search for the token and its log-probability. The block sums are written per block and added up only in the last
/// step, always in block order, so a row gives the same bits whether one thread worked it or its blocks were shared
/// between threads (<see cref="TokenDrawPhase"/>).
/// </remarks>
internal unsafe struct TokenDrawJob
{
    /// <summary>Width of the blocks whose weight sums are kept: the search reads the sums, then one block again.</summary>
    public const int BlockSize = 256;

    public float* Logits;
    public int Rows, Vocab, Blocks;
    /// <summary>1 / temperature as float (1 for greedy) and the min-p threshold (0: none).</summary>
    public float Inverse, MinP;
    public bool Greedy, WantLogprob;
    public float* Uniforms;
    public long* Tokens;
    /// <summary>The chosen tokens' log-probabilities (written only when <see cref="WantLogprob"/>).</summary>
    public float* Logprobs;
    /// <summary>Per row: the maximum the weights are taken against (greedy: the best logit).</summary>
    public float* Maxes;
    /// <summary>Per row and slice, while rows are split: the slice's maximum.</summary>
    public float* SliceMaxes;
    /// <summary>Per row and block: the weights' sum after min-p, before it, and untempered (tempered logprobs only).</summary>
    public float* Kept, Unmasked, Plain;
    /// <summary>Slices per row while rows are split across threads (1 otherwise).</summary>
    public int Slices;
    public TokenDrawPhase Phase;
    /// <summary>Units of the current phase, and the next one unclaimed.</summary>
    public int Units, Next;

    private readonly bool Tempered => Inverse != 1;

    /// <summary>Runs the current phase's units on <paramref name="threads"/> threads, claimed one by one (a late thread finds fewer left).</summary>
    public void Run(int threads, TokenDrawPhase phase, int units)
    {
        Phase = phase;
        Units = units;
        Next = 0;
        fixed (TokenDrawJob* self = &this)
        {
            if (threads <= 1 || units <= 1) self->Work();
            else KernelThreads.Shared.Run(Math.Min(threads, units), &WorkPart, (nint)self);
        }
    }

    private static void WorkPart(nint state, int part) => ((TokenDrawJob*)state)->Work();

    private void Work()
    {
        int unit;
        while ((unit = Interlocked.Increment(ref Next) - 1) < Units)
        {
            switch (Phase)
            {
                case TokenDrawPhase.WholeRows:
                    WholeRow(unit);
                    break;
                case TokenDrawPhase.SliceMaxes:
                    SliceMax(unit / Slices, unit % Slices);
                    break;
                default:
                    var (from, to) = SliceBlocks(unit % Slices);
                    BlockSums(unit / Slices, from, to);
                    break;
            }
        }
    }

    /// <summary>All three steps of row <paramref name="r"/>.</summary>
    public void WholeRow(int r)
    {
        var row = Row(r);
        if (Greedy)
        {
            int best = TensorPrimitives.IndexOfMax(row);
            Tokens[r] = best;
            if (!WantLogprob) return;
            Maxes[r] = row[best];
        }
        else
        {
            Maxes[r] = LogitsMaximum.Of(row);
        }
        BlockSums(r, 0, Blocks);
        Finish(r);
    }

    /// <summary>The blocks [from, to) of slice <paramref name="slice"/>: the first slices take one block more when they do not divide evenly.</summary>
    public readonly (int From, int To) SliceBlocks(int slice) =>
        ((int)((long)Blocks * slice / Slices), (int)((long)Blocks * (slice + 1) / Slices));

    private readonly void SliceMax(int r, int slice)
    {
        var (from, to) = SliceBlocks(slice);
        int start = from * BlockSize, end = Math.Min(to * BlockSize, Vocab);
        SliceMaxes[r * Slices + slice] = LogitsMaximum.Of(Row(r)[start..end]);
    }

    /// <summary>The row's maximum from its slices' maxima: the same value as the maximum over the row (ties at ±0 and NaN rows are read again whole).</summary>
    public readonly void CombineSliceMaxes(int r)
    {
        float max = SliceMaxes[r * Slices];
        for (int s = 1; s < Slices; s++) max = MathF.Max(max, SliceMaxes[r * Slices + s]);
        // Which zero or which NaN is the maximum is a matter of order; the whole row answers it as one thread would.
        if (max == 0 || float.IsNaN(max)) max = TensorPrimitives.Max(Row(r));
        Maxes[r] = max;
    }

    /// <summary>The sums of the weights of blocks [from, to) of row <paramref name="r"/>, each into its own place.</summary>
    private readonly void BlockSums(int r, int from, int to)
    {
        var row = Row(r);
        float max = Maxes[r];
        bool plain = WantLogprob && Tempered;
        Span<float> buffer = stackalloc float[BlockSize];
        int at = r * Blocks;
        for (int b = from; b < to; b++)
        {
            var part = Block(row, b);
            var weights = BlockWeights.Exp(part, max, Inverse, buffer);
            float unmasked = TensorPrimitives.Sum(weights);
            Unmasked[at + b] = unmasked;
            if (MinP > 0)
            {
                BlockWeights.DropBelow(weights, MinP);
                Kept[at + b] = TensorPrimitives.Sum(weights);
            }
            else
            {
                Kept[at + b] = unmasked;
            }
            // The model's own normaliser needs exp(x - max) untempered.
            if (plain) Plain[at + b] = TensorPrimitives.Sum(BlockWeights.Exp(part, max, 1, buffer));
        }
    }

    /// <summary>Row <paramref name="r"/>'s totals in block order, then its token (the draw) and log-probability.</summary>
    public readonly void Finish(int r)
    {
        int at = r * Blocks;
        if (Greedy)
        {
            double sum = 0;
            for (int b = 0; b < Blocks; b++) sum += Unmasked[at + b];
            Logprobs[r] = (float)-Math.Log(sum);
            return;
        }
        var row = Row(r);
        float max = Maxes[r];
        double total = 0, all = 0, model = 0;
        bool plain = WantLogprob && Tempered;
        for (int b = 0; b < Blocks; b++)
        {
            all += Unmasked[at + b];
            total += Kept[at + b];
            if (plain) model += Plain[at + b];
        }
        if (!Tempered) model = all;

        // u < 1, so target < total; the block holding it is the first whose cumulative sum passes it.
        double target = Uniforms[r] * total, before = 0;
        int chosen = -1;
        bool passed = false;
        for (int b = 0; b < Blocks; b++)
        {
            double sum = Kept[at + b];
            if (sum <= 0) continue;
            chosen = b;
            if (before + sum > target)
            {
                passed = true;
                break;
            }
            before += sum;
        }
        // Rounding left the target at the very end: the last block with weight, at its end.
        if (!passed && chosen >= 0) before -= Kept[at + chosen];
        if (chosen < 0)
        {
            // No weight anywhere (a NaN row): the argmax, as softmax would not help.
            Tokens[r] = TensorPrimitives.IndexOfMax(row);
            if (WantLogprob) Logprobs[r] = 0;
            return;
        }
        Span<float> buffer = stackalloc float[BlockSize];
        var inBlock = BlockWeights.Exp(Block(row, chosen), max, Inverse, buffer);
        if (MinP > 0) BlockWeights.DropBelow(inBlock, MinP);
        double rest = target - before, running = 0;
        int token = -1;
        for (int i = 0; i < inBlock.Length; i++)
        {
            if (inBlock[i] <= 0) continue;
            token = i;
            running += inBlock[i];
            if (running > rest) break;
        }
        long id = (long)chosen * BlockSize + token;
        Tokens[r] = id;
        if (WantLogprob) Logprobs[r] = (float)(row[(int)id] - max - Math.Log(model));
    }

    private readonly ReadOnlySpan<float> Row(int r) => new(Logits + (long)r * Vocab, Vocab);

    private static ReadOnlySpan<float> Block(ReadOnlySpan<float> row, int block)
    {
        int start = block * BlockSize;
        return row.Slice(start, Math.Min(BlockSize, row.Length - start));
    }
}
