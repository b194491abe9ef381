using System.Text.Json;

namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>
/// The committed fixtures of Fixtures/: templates, conversations, and the outputs Python Jinja2 gave under
/// transformers' settings (Fixtures/reference.py). Found by walking up from the test binary to the repository.
/// </summary>
internal static class ChatTemplateFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "TestTimeScaling.Tests", "ChatTemplates", "Fixtures");
            if (File.Exists(Path.Combine(candidate, "cases.json"))) return candidate;
        }
        throw new DirectoryNotFoundException($"Chat template fixtures not found above '{AppContext.BaseDirectory}'.");
    });

    public static string Directory => Root.Value;

    public static JsonElement Read(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, file))).RootElement;

    public static string TemplateText(string name) => File.ReadAllText(Path.Combine(Directory, "templates", name + ".jinja"));

    public static IEnumerable<JsonElement> Cases() => Read("cases.json").EnumerateArray();

    public static IEnumerable<JsonElement> Features() => Read("features.json").EnumerateArray();

    public static string CaseId(JsonElement c) =>
        $"{c.GetProperty("template").GetString()}/{c.GetProperty("conversation").GetString()}/agp={c.GetProperty("add_generation_prompt").GetBoolean()}";
}
