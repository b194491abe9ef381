namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>A fact that runs only when an environment variable is "1" (long runs and measurements); skipped, and said so, otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EnvironmentFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute for <paramref name="variable"/>.</summary>
    public EnvironmentFactAttribute(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) != "1") Skip = $"Long run or measurement: set {variable}=1 to run it.";
    }
}
