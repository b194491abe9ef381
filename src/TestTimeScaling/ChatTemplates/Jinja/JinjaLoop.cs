namespace TestTimeScaling;

/// <summary>The <c>loop</c> variable of a for loop: position, length, neighbours, <c>cycle</c>.</summary>
internal sealed class JinjaLoop(IReadOnlyList<object?> items, int depth)
{
    public int Index0 { get; set; }

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)depth,
        "depth0" => (long)depth - 1,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new JinjaUndefined("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new JinjaUndefined("there is no next item"),
        "cycle" => new JinjaFunction("loop.cycle", (interpreter, args, offset) =>
        {
            if (args.Positional.Count == 0) throw interpreter.Error(offset, "loop.cycle needs at least one argument");
            return args.Positional[Index0 % args.Positional.Count];
        }),
        _ => new JinjaUndefined($"'loop' has no attribute '{name}'"),
    };
}
