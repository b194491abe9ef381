namespace TestTimeScaling;

/// <summary>Anything a template can call: a global function, a bound method of a value, a macro.</summary>
internal abstract class JinjaCallable
{
    public abstract string Name { get; }

    public abstract object? Invoke(JinjaInterpreter interpreter, JinjaCallArguments arguments, int offset);
}

/// <summary>A built-in function (a global such as <c>range</c>, or a method bound to its value).</summary>
internal sealed class JinjaFunction(string name, Func<JinjaInterpreter, JinjaCallArguments, int, object?> body) : JinjaCallable
{
    public override string Name { get; } = name;

    public override object? Invoke(JinjaInterpreter interpreter, JinjaCallArguments arguments, int offset) => body(interpreter, arguments, offset);
}
