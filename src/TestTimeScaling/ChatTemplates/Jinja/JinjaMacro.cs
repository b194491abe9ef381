namespace TestTimeScaling;

/// <summary>A macro defined by the template: called, it renders its body with the arguments bound, in a scope over the one it was defined in.</summary>
internal sealed class JinjaMacro(MacroStmt definition, JinjaScope closure) : JinjaCallable
{
    public override string Name => definition.Name;

    public override object? Invoke(JinjaInterpreter interpreter, JinjaCallArguments arguments, int offset)
    {
        var parameters = definition.Parameters;
        if (arguments.Positional.Count > parameters.Count)
            throw interpreter.Error(offset, $"macro '{Name}' takes not more than {parameters.Count} argument(s), got {arguments.Positional.Count}");
        var scope = new JinjaScope(closure);
        for (int i = 0; i < parameters.Count; i++)
        {
            MacroParameter parameter = parameters[i];
            object? value;
            if (i < arguments.Positional.Count) value = arguments.Positional[i];
            else if (arguments.Keywords.TryGetValue(parameter.Name, out object? named)) value = named;
            else if (parameter.Default is not null) value = interpreter.Evaluate(parameter.Default, scope);
            else value = new JinjaUndefined($"parameter '{parameter.Name}' was not provided");
            scope.Set(parameter.Name, value);
        }
        foreach (string name in arguments.Keywords.Keys)
        {
            if (!parameters.Any(p => p.Name == name)) throw interpreter.Error(offset, $"macro '{Name}' has no parameter named '{name}'");
        }
        return interpreter.RenderToString(definition.Body, scope, offset);
    }
}
