using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>A tokenizer.json <c>decoder</c>: turns the token strings of ids back into text, step by step.</summary>
internal abstract class TokenDecoder
{
    /// <summary>Transforms the token strings (Hugging Face's <c>decode_chain</c>).</summary>
    public abstract List<string> DecodeChain(List<string> tokens);
}

/// <summary><c>ByteLevel</c>: byte-level symbols back to bytes, then UTF-8 (invalid sequences become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            int start = bytes.Count;
            bool allSymbols = true;
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.TryGetByte(c, out byte b)) bytes.Add(b);
                else { allSymbols = false; break; }
            }
            if (allSymbols) continue;
            // A token that is not written in symbols (an added token) stands for its own UTF-8 bytes.
            bytes.RemoveRange(start, bytes.Count - start);
            bytes.AddRange(Encoding.UTF8.GetBytes(token));
        }
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

/// <summary><c>ByteFallback</c>: runs of <c>&lt;0xNN&gt;</c> tokens become the text of their bytes (U+FFFD per byte when not UTF-8).</summary>
internal sealed class ByteFallbackDecoder : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(token);
        }
        Flush(pending, result);
        return result;
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    private static void Flush(List<byte> pending, List<string> into)
    {
        if (pending.Count == 0) return;
        try
        {
            into.Add(Strict.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < pending.Count; i++) into.Add("\uFFFD");
        }
        pending.Clear();
    }
}

/// <summary><c>Fuse</c>: all tokens become one string.</summary>
internal sealed class FuseDecoder : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary><c>Strip</c>: removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character from each token.</summary>
internal sealed class StripDecoder(int content, int start, int stop) : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (string token in tokens)
        {
            int[] cps = token.EnumerateRunes().Select(r => r.Value).ToArray();
            int from = 0;
            while (from < Math.Min(start, cps.Length) && cps[from] == content) from++;
            int to = cps.Length;
            for (int i = 0; i < stop && to > from && cps[to - 1] == content; i++) to--;
            result.Add(string.Concat(cps[from..to].Select(char.ConvertFromUtf32)));
        }
        return result;
    }
}

/// <summary><c>Replace</c>: every match in each token becomes <c>content</c>.</summary>
internal sealed class ReplaceDecoder(SplitPattern pattern, string content) : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t => pattern.Replace(t, content)).ToList();
}

/// <summary><c>Metaspace</c>: the replacement becomes a space, except in the first token unless the scheme is "never".</summary>
internal sealed class MetaspaceDecoder(string replacement, MetaspacePrependScheme scheme) : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens)
        => tokens.Select((token, i) => token.Replace(replacement, i == 0 && scheme != MetaspacePrependScheme.Never ? "" : " ", StringComparison.Ordinal)).ToList();
}

/// <summary><c>Sequence</c>: the decoders in order.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<TokenDecoder> decoders) : TokenDecoder
{
    /// <inheritdoc/>
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (TokenDecoder decoder in decoders) tokens = decoder.DecodeChain(tokens);
        return tokens;
    }
}
