using System.Text.Json;

namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>
/// One small template per Jinja feature (whitespace control, loops, scoping, macros, filters, tests, operators,
/// Python printing, errors), each checked against Python Jinja2 under transformers' settings (Fixtures/features.json).
/// </summary>
public sealed class JinjaFeatureTests
{
    private static readonly ChatTemplateOptions FixedClock = new() { TimeProvider = FixtureClock.Instance };

    public static TheoryData<string> FeatureNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement f in ChatTemplateFixtures.Features()) data.Add(f.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(FeatureNames))]
    public void Feature_matches_python_jinja(string name)
    {
        JsonElement f = ChatTemplateFixtures.Features().Single(x => x.GetProperty("name").GetString() == name);
        string source = f.GetProperty("template").GetString()!;
        var variables = f.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);

        if (f.TryGetProperty("expected", out JsonElement expected))
        {
            Assert.Equal(expected.GetString(), ChatTemplate.Parse(source, name).Render(variables, FixedClock));
            return;
        }
        string kind = f.GetProperty("error").GetString()!;
        ChatTemplateException ex = Assert.ThrowsAny<ChatTemplateException>(() => ChatTemplate.Parse(source, name).Render(variables, FixedClock));
        Assert.Contains($"'{name}'", ex.Message);
        Assert.True(ex.Line >= 1 && ex.Column >= 1);
        switch (kind)
        {
            case "syntax":
                Assert.IsType<ChatTemplateSyntaxException>(ex);
                break;
            case "raised":
                Assert.Equal(f.GetProperty("message").GetString(), Assert.IsType<ChatTemplateRaisedException>(ex).TemplateMessage);
                break;
            default:
                // Python fails at render time; this port may refuse some of those at parse time (an include with no loader).
                Assert.IsNotType<ChatTemplateRaisedException>(ex);
                break;
        }
    }
}
