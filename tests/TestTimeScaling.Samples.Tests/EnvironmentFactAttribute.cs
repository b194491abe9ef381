namespace TestTimeScaling.Samples.Tests;

/// <summary>A fact that runs only when an environment variable is "1" (measurements); skipped, and said so, otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EnvironmentFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute for <paramref name="variable"/>.</summary>
    public EnvironmentFactAttribute(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) != "1") Skip = $"Measurement: set {variable}=1 to run it.";
    }
}
