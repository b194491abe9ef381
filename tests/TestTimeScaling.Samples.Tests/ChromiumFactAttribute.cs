namespace TestTimeScaling.Samples.Tests;

/// <summary>A fact that needs Debian's chromium at /usr/bin/chromium (<c>.ci/run</c> installs it); skipped, and said why, when it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where the browser is expected.</summary>
    public const string Path = "/usr/bin/chromium";

    /// <summary>Creates the attribute; skips when the browser is missing.</summary>
    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"No headless browser: {Path} is missing (apt-get install -y chromium); the report was not opened.";
    }
}
