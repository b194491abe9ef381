using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>A tokenizer.json <c>normalizer</c>: rewrites text before it is split (Hugging Face's semantics).</summary>
internal abstract class TextNormalizer
{
    /// <summary>The normalized text.</summary>
    public abstract string Normalize(string text);
}

/// <summary><c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>.</summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.Normalize(form);
}

/// <summary><c>Lowercase</c>: Unicode full lowercase mapping, as Rust's <c>char::to_lowercase</c>.</summary>
internal sealed class LowercaseNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            // U+0130 is the one code point whose full lowercase mapping is two characters.
            if (rune.Value == 0x130) sb.Append("i\u0307");
            else sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return sb.ToString();
    }
}

/// <summary><c>Replace</c>: every match of a pattern becomes <c>content</c>.</summary>
internal sealed class ReplaceNormalizer(SplitPattern pattern, string content) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => pattern.Replace(text, content);
}

/// <summary><c>Prepend</c>: puts a string before any non-empty text (Llama 2's "▁").</summary>
internal sealed class PrependNormalizer(string prefix) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

/// <summary><c>Strip</c>: removes White_Space from the left and/or right end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text)
    {
        int start = 0, end = text.Length;
        if (left)
        {
            while (start < end && Rune.DecodeFromUtf16(text.AsSpan(start), out Rune r, out int n) == System.Buffers.OperationStatus.Done
                   && CodePointSet.IsWhiteSpace(r.Value)) start += n;
        }
        if (right)
        {
            while (end > start && Rune.DecodeLastFromUtf16(text.AsSpan(start, end - start), out Rune r, out int n) == System.Buffers.OperationStatus.Done
                   && CodePointSet.IsWhiteSpace(r.Value)) end -= n;
        }
        return text[start..end];
    }
}

/// <summary><c>Sequence</c>: the normalizers in order.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<TextNormalizer> normalizers) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text)
    {
        foreach (TextNormalizer normalizer in normalizers) text = normalizer.Normalize(text);
        return text;
    }
}
