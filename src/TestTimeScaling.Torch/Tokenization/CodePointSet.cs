using System.Globalization;
using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>
/// A set of Unicode code points as sorted, disjoint, non-adjacent inclusive ranges. The pattern translator
/// builds character classes with it so that a class covers astral code points (which .NET's UTF-16 regex
/// engine sees as two surrogates) as well as the Basic Multilingual Plane.
/// </summary>
internal sealed class CodePointSet
{
    /// <summary>The last code point.</summary>
    public const int MaxCodePoint = 0x10FFFF;

    private static readonly Lazy<List<(int Lo, int Hi)>[]> CategoryRanges = new(BuildCategoryRanges);

    private CodePointSet(List<(int Lo, int Hi)> ranges) => Ranges = ranges;

    /// <summary>The ranges, sorted and merged.</summary>
    public IReadOnlyList<(int Lo, int Hi)> Ranges { get; }

    /// <summary>The empty set.</summary>
    public static CodePointSet Empty { get; } = new([]);

    /// <summary>Unicode's White_Space property: what Oniguruma's <c>\s</c> and Rust's <c>char::is_whitespace</c> match.</summary>
    public static CodePointSet WhiteSpace { get; } = FromRanges(
        [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
         (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]);

    /// <summary>Whether <paramref name="codePoint"/> has the White_Space property.</summary>
    public static bool IsWhiteSpace(int codePoint) => WhiteSpace.Contains(codePoint);

    /// <summary>A set from arbitrary ranges (merged here).</summary>
    public static CodePointSet FromRanges(IEnumerable<(int Lo, int Hi)> ranges)
    {
        var sorted = ranges.Where(r => r.Lo <= r.Hi).OrderBy(r => r.Lo).ToList();
        var merged = new List<(int Lo, int Hi)>(sorted.Count);
        foreach (var (lo, hi) in sorted)
        {
            if (merged.Count > 0 && lo <= merged[^1].Hi + 1)
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, hi));
            else
                merged.Add((lo, hi));
        }
        return new CodePointSet(merged);
    }

    /// <summary>The code points of the given general categories.</summary>
    public static CodePointSet OfCategories(IEnumerable<UnicodeCategory> categories)
        => FromRanges(categories.SelectMany(c => CategoryRanges.Value[(int)c]));

    /// <summary>The union of sets.</summary>
    public static CodePointSet Union(IEnumerable<CodePointSet> sets) => FromRanges(sets.SelectMany(s => s.Ranges));

    /// <summary>Every code point not in this set.</summary>
    public CodePointSet Complement()
    {
        var result = new List<(int Lo, int Hi)>(Ranges.Count + 1);
        int next = 0;
        foreach (var (lo, hi) in Ranges)
        {
            if (lo > next) result.Add((next, lo - 1));
            next = hi + 1;
        }
        if (next <= MaxCodePoint) result.Add((next, MaxCodePoint));
        return new CodePointSet(result);
    }

    /// <summary>The code points in both sets.</summary>
    public CodePointSet Intersect(CodePointSet other) => Union([Complement(), other.Complement()]).Complement();

    /// <summary>Whether the set holds <paramref name="codePoint"/>.</summary>
    public bool Contains(int codePoint)
    {
        int lo = 0, hi = Ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var range = Ranges[mid];
            if (codePoint < range.Lo) hi = mid - 1;
            else if (codePoint > range.Hi) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>The number of code points, saturated at <see cref="int.MaxValue"/>.</summary>
    public long Count => Ranges.Sum(r => (long)r.Hi - r.Lo + 1);

    /// <summary>
    /// Adds the simple case variants of every member (lower, upper, title and the few folds such as
    /// U+017F ſ ~ s and U+212A K ~ k), as a case-insensitive class matches. Large sets are returned as they
    /// are: the categories they come from are already closed under case.
    /// </summary>
    public CodePointSet WithCaseVariants()
    {
        if (Count > 4096) return this;
        var extra = new List<(int, int)>();
        foreach (var (lo, hi) in Ranges)
        {
            for (int cp = lo; cp <= hi; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                var rune = new Rune(cp);
                foreach (Rune variant in (ReadOnlySpan<Rune>)[Rune.ToLowerInvariant(rune), Rune.ToUpperInvariant(rune)])
                    extra.Add((variant.Value, variant.Value));
                foreach (int fold in ExtraFolds(cp)) extra.Add((fold, fold));
            }
        }
        return FromRanges(Ranges.Concat(extra));
    }

    // Case-fold equivalences .NET's invariant upper/lower mapping misses but Unicode simple folding has.
    private static IEnumerable<int> ExtraFolds(int cp) => cp switch
    {
        's' or 'S' => [0x17F],
        0x17F => ['s', 'S'],
        'k' or 'K' => [0x212A],
        0x212A => ['k', 'K'],
        0xE5 or 0xC5 => [0x212B],
        0x212B => [0xE5, 0xC5],
        _ => [],
    };

    private static List<(int Lo, int Hi)>[] BuildCategoryRanges()
    {
        var ranges = new List<(int Lo, int Hi)>[30];
        for (int i = 0; i < ranges.Length; i++) ranges[i] = [];
        int start = 0;
        var current = CharUnicodeInfo.GetUnicodeCategory(0);
        for (int cp = 1; cp <= MaxCodePoint + 1; cp++)
        {
            var category = cp <= MaxCodePoint ? CharUnicodeInfo.GetUnicodeCategory(cp) : (UnicodeCategory)(-1);
            if (category == current) continue;
            ranges[(int)current].Add((start, cp - 1));
            start = cp;
            current = category;
        }
        return ranges;
    }
}
