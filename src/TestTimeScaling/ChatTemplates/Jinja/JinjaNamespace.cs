namespace TestTimeScaling;

/// <summary>The object <c>namespace(...)</c> makes: the one place a template may assign attributes, so state survives loop scopes.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
