using System.Text.Json;

namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>
/// 1000 random small templates (Fixtures/fuzz.py: whitespace markers, loops, ifs, sets, filters, tests, methods,
/// operators, slices) over fixed variables: each renders exactly as Python Jinja2 under transformers' settings, or
/// fails where it fails.
/// </summary>
public sealed class JinjaFuzzDifferentialTests
{
    private static readonly Lazy<JsonElement> Fuzz = new(() => ChatTemplateFixtures.Read("fuzz.json"));

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fuzz.Value.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Random_template_matches_python_jinja(int index)
    {
        JsonElement c = Fuzz.Value.GetProperty("cases")[index];
        string source = c.GetProperty("template").GetString()!;
        var variables = Fuzz.Value.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);

        if (c.TryGetProperty("expected", out JsonElement expected))
        {
            Assert.Equal(expected.GetString(), ChatTemplate.Parse(source, $"fuzz{index}").Render(variables));
        }
        else
        {
            var ex = Record.Exception(() => ChatTemplate.Parse(source, $"fuzz{index}").Render(variables));
            Assert.True(ex is ChatTemplateException, $"Python failed with {c.GetProperty("error").GetString()}; the port gave {ex?.GetType().Name ?? "a render"}.\n{source}");
        }
    }
}
