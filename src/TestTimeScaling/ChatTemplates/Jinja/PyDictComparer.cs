namespace TestTimeScaling;

/// <summary>Dictionary keys compare as Python compares them: <c>1</c>, <c>1.0</c> and <c>True</c> are one key.</summary>
internal sealed class PyDictComparer : IEqualityComparer<object>
{
    public static readonly PyDictComparer Instance = new();

    public new bool Equals(object? x, object? y) => PyOps.Equals(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        string s => s.GetHashCode(StringComparison.Ordinal),
        object?[] tuple => tuple.Length,
        _ => obj.GetHashCode(),
    };

    public static Dictionary<object, object?> NewDict() => new(Instance);
}
