using System.Text.Json;

namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>
/// Every template of the fixtures (Llama 3, Llama 3.1, Qwen3, Gemma 3, DeepSeek-V3 from their tokenizer packages,
/// plus ChatML, a Mistral-style and a Llama 3.1-style tools template) over every fixture conversation, with the generation prompt on and
/// off: the render must equal transformers' (Python Jinja2) byte for byte, or fail as it fails.
/// </summary>
public sealed class ChatTemplateReferenceTests
{
    private static readonly Dictionary<string, ChatTemplate> Parsed = new();

    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in ChatTemplateFixtures.Cases()) data.Add(ChatTemplateFixtures.CaseId(c));
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Render_equals_transformers(string caseId)
    {
        JsonElement c = ChatTemplateFixtures.Cases().Single(x => ChatTemplateFixtures.CaseId(x) == caseId);
        string templateName = c.GetProperty("template").GetString()!;
        JsonElement tokens = ChatTemplateFixtures.Read("templates.json").GetProperty(templateName);
        JsonElement conversation = ChatTemplateFixtures.Read("conversations.json").GetProperty(c.GetProperty("conversation").GetString()!);

        ChatTemplate template = Template(templateName);
        var messages = conversation.GetProperty("messages").EnumerateArray().Select(ToMessage).ToList();
        var extra = new Dictionary<string, object?>();
        foreach (string key in new[] { "pad_token", "unk_token" })
        {
            if (tokens.GetProperty(key).ValueKind == JsonValueKind.String) extra[key] = tokens.GetProperty(key).GetString();
        }
        if (conversation.TryGetProperty("variables", out JsonElement variables))
        {
            foreach (JsonProperty p in variables.EnumerateObject()) extra[p.Name] = p.Value;
        }
        var options = new ChatTemplateOptions
        {
            BosToken = tokens.GetProperty("bos_token").GetString(),
            EosToken = tokens.GetProperty("eos_token").GetString(),
            Tools = conversation.TryGetProperty("tools", out JsonElement tools) ? tools : null,
            AdditionalVariables = extra,
            TimeProvider = FixtureClock.Instance,
        };
        bool addGenerationPrompt = c.GetProperty("add_generation_prompt").GetBoolean();

        if (c.TryGetProperty("expected", out JsonElement expected))
        {
            Assert.Equal(expected.GetString(), template.Render(messages, addGenerationPrompt, options));
            return;
        }
        var ex = Assert.ThrowsAny<ChatTemplateException>(() => template.Render(messages, addGenerationPrompt, options));
        Assert.Contains(templateName, ex.Message);
        switch (c.GetProperty("error").GetString())
        {
            case "raised":
                Assert.Equal(c.GetProperty("message").GetString(), Assert.IsType<ChatTemplateRaisedException>(ex).TemplateMessage);
                break;
            case "runtime":
                Assert.IsType<ChatTemplateException>(ex);
                break;
            default:
                Assert.Fail($"unexpected error kind in fixture {caseId}");
                break;
        }
    }

    [Fact]
    public void Fixtures_cover_every_template_both_ways()
    {
        var cases = ChatTemplateFixtures.Cases().ToList();
        string[] templates = ["llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "chatml", "mistral", "tools_dated"];
        foreach (string name in templates)
        {
            Assert.Contains(cases, c => c.GetProperty("template").GetString() == name && c.GetProperty("add_generation_prompt").GetBoolean() && c.TryGetProperty("expected", out _));
            Assert.Contains(cases, c => c.GetProperty("template").GetString() == name && !c.GetProperty("add_generation_prompt").GetBoolean() && c.TryGetProperty("expected", out _));
        }
    }

    private static ChatTemplate Template(string name)
    {
        lock (Parsed)
        {
            if (!Parsed.TryGetValue(name, out ChatTemplate? template))
                Parsed[name] = template = ChatTemplate.Parse(ChatTemplateFixtures.TemplateText(name), name);
            return template;
        }
    }

    // The fixture's JSON message becomes a ChatTemplateMessage: role, content (string or parts), other keys.
    private static ChatTemplateMessage ToMessage(JsonElement m)
    {
        var additional = m.EnumerateObject().Where(p => p.Name is not ("role" or "content"))
            .ToDictionary(p => p.Name, p => (object?)p.Value);
        JsonElement content = m.GetProperty("content");
        object? value = content.ValueKind == JsonValueKind.String ? content.GetString() : content;
        return new ChatTemplateMessage(m.GetProperty("role").GetString()!, value) { AdditionalProperties = additional };
    }
}
