using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>
/// The 256 printable symbols that byte-level BPE (GPT-2, Llama 3, Qwen2) uses for the 256 byte values:
/// printable Latin-1 bytes stand for themselves and the rest map to U+0100 onwards (space becomes 'Ġ',
/// newline 'Ċ'). Vocabulary and merge entries of a byte-level tokenizer are written in these symbols.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToSymbol = BuildTable();
    private static readonly Dictionary<char, byte> SymbolToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToSymbol[b], b => (byte)b);

    /// <summary>The symbol of each byte value, indexed by the byte: <c>Symbols[32] == "Ġ"</c>.</summary>
    public static IReadOnlyList<string> Symbols { get; } = ByteToSymbol.Select(c => c.ToString()).ToArray();

    /// <summary>The symbol that stands for <paramref name="value"/>.</summary>
    public static char ToSymbol(byte value) => ByteToSymbol[value];

    /// <summary>The byte a symbol stands for; false when the character is not one of the 256 symbols.</summary>
    public static bool TryGetByte(char symbol, out byte value) => SymbolToByte.TryGetValue(symbol, out value);

    /// <summary>Writes bytes as symbols: the form a byte-level vocabulary entry takes.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToSymbol[bytes[i]];
        return new string(chars);
    }

    /// <summary>Writes the UTF-8 bytes of <paramref name="text"/> as symbols: <c>Encode(" hi") == "Ġhi"</c>.</summary>
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The bytes a string of symbols stands for.</summary>
    /// <exception cref="ArgumentException">A character is not one of the 256 symbols.</exception>
    public static byte[] ToBytes(string symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var bytes = new byte[symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            if (!SymbolToByte.TryGetValue(symbols[i], out bytes[i]))
                throw new ArgumentException($"'{symbols[i]}' (U+{(int)symbols[i]:X4}) at index {i} is not a byte-level symbol.", nameof(symbols));
        }
        return bytes;
    }

    // GPT-2's bytes_to_unicode: keep the printable ranges '!'..'~', '¡'..'¬', '®'..'ÿ' as they are and give the
    // other 68 bytes (controls, space, DEL, NBSP, soft hyphen) the code points 256, 257, ... in byte order.
    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
