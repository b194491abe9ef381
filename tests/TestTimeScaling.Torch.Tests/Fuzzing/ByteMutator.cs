namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>Structure-blind mutations of a file's bytes: flips, interesting values, cuts, insertions, copies.</summary>
internal static class ByteMutator
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0xC0, 0xFE, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'-', (byte)'9', (byte)'\\'];

    /// <summary>Applies one random mutation; returns the new bytes and what was done.</summary>
    public static (byte[] Bytes, string Description) Mutate(byte[] input, Random random, int start = 0, int? end = null)
    {
        int limit = Math.Min(end ?? input.Length, input.Length);
        if (limit <= start) return (input, "unchanged (empty range)");
        int at = random.Next(start, limit);
        var bytes = (byte[])input.Clone();
        switch (random.Next(7))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                return (bytes, $"flip a bit at {at}");
            case 1:
                int count = random.Next(1, 9);
                for (int i = 0; i < count; i++) bytes[random.Next(start, limit)] = (byte)random.Next(256);
                return (bytes, $"{count} random bytes");
            case 2:
                bytes[at] = Interesting[random.Next(Interesting.Length)];
                return (bytes, $"byte {at} = 0x{bytes[at]:X2}");
            case 3:
                return (input[..at], $"truncate at {at}");
            case 4:
                var insert = new byte[random.Next(1, 17)];
                random.NextBytes(insert);
                return ([.. input[..at], .. insert, .. input[at..]], $"insert {insert.Length} bytes at {at}");
            case 5:
                int length = Math.Min(random.Next(1, 65), input.Length - at);
                return ([.. input[..at], .. input[(at + length)..]], $"delete {length} bytes at {at}");
            default:
                int copyLength = Math.Min(random.Next(1, 65), input.Length - at);
                int to = random.Next(0, input.Length);
                return ([.. input[..to], .. input.AsSpan(at, copyLength), .. input[to..]], $"copy {copyLength} bytes from {at} to {to}");
        }
    }
}
