namespace TestTimeScaling.Server;

/// <summary>Finds the repository's embedded models, as the samples do, without depending on the training project.</summary>
internal static class EmbeddedModelLocator
{
    public static string Locate()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (Directory.Exists(Path.Combine(beside, "arithmetic-policy"))) return beside;
        return FromRepository(Directory.GetCurrentDirectory())
            ?? FromRepository(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"The embedded models were not found beside the program ('{beside}') or in a TestTimeScaling repository above the current directory.");
    }

    private static string? FromRepository(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TestTimeScaling.sln"))) return Path.Combine(dir.FullName, "models");
        return null;
    }
}
