using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace TestTimeScaling.Samples;

/// <summary>
/// Range checks for System.CommandLine options, shared by the samples (linked into each project). A value that does
/// not parse is reported by the parser itself ("Cannot parse argument 'x' for option '--n'..."); these add the range.
/// </summary>
internal static class CommandLineChecks
{
    /// <summary>Rejects values of <paramref name="option"/> outside [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<T> InRange<T>(this Option<T> option, T min, T max) where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            // Read the token, not the converted value: a token that does not parse already has the parser's error.
            if (result.Tokens.Count == 1 && T.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out T value)
                && !(value >= min && value <= max))
                result.AddError($"{result.IdentifierToken?.Value ?? option.Name} must be from {min} to {max}, not '{result.Tokens[0].Value}'.");
        });
        return option;
    }

    /// <summary>Rejects a value of <paramref name="argument"/> that looks like an option, so a misspelt option is not taken as a path.</summary>
    public static Argument<T> NotAnOption<T>(this Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-') && token.Value.Length > 1 && !char.IsDigit(token.Value[1]))
                    result.AddError($"Unknown option '{token.Value}'.");
        });
        return argument;
    }
}
