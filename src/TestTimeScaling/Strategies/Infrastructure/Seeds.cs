namespace TestTimeScaling;

/// <summary>Derives independent, reproducible seeds from a base seed and a stream number.</summary>
internal static class Seeds
{
    /// <summary>SplitMix64 of the pair: nearby streams give unrelated seeds, so call k and call k+1 never share randomness.</summary>
    public static long Derive(long seed, long stream)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * ((ulong)stream + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }
}
