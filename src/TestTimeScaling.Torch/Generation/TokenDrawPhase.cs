namespace TestTimeScaling.Torch;

/// <summary>What the units of a <see cref="TokenDrawJob"/> phase are.</summary>
internal enum TokenDrawPhase
{
    /// <summary>A unit is a row, worked whole by one thread (enough rows to share).</summary>
    WholeRows,

    /// <summary>A unit is a slice of a row, whose maximum it finds (too few rows to share).</summary>
    SliceMaxes,

    /// <summary>A unit is a slice of a row, whose block sums it writes (too few rows to share).</summary>
    SliceSums,
}
