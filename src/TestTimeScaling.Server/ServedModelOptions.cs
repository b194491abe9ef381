namespace TestTimeScaling.Server;

/// <summary>One local model directory the server loads at start.</summary>
public sealed record ServedModelOptions
{
    /// <summary>The name clients send as <c>model</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The Hugging Face model directory; it must lie inside one of <see cref="ServerOptions.ModelRoots"/>.</summary>
    public required string Path { get; init; }

    /// <summary>Whether it generates or scores.</summary>
    public ModelKind Kind { get; init; } = ModelKind.Policy;
}
