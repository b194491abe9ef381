using System.Text.Json;

namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>
/// <see cref="ChatTemplate"/>'s contract beyond the reference renders: errors name the template and position,
/// runaway templates stop at a limit, values of any supported .NET shape render alike, continue_final_message.
/// </summary>
public sealed class ChatTemplateBehaviourTests
{
    private static readonly string ChatMl = ChatTemplateFixtures.TemplateText("chatml");

    [Fact]
    public void UnknownFilterIsRefusedAtParseWithItsPosition()
    {
        var ex = Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse("line one\n{{ messages | shout }}", "my.json"));

        Assert.Equal("my.json", ex.TemplateName);
        Assert.Equal(2, ex.Line);
        Assert.Equal(15, ex.Column);
        Assert.Contains("unknown filter 'shout'", ex.Reason);
        Assert.StartsWith("Chat template 'my.json', line 2, column 15:", ex.Message);
    }

    [Theory]
    [InlineData("{% if x %}never closed", "unclosed 'if' block")]
    [InlineData("{% for m in messages %}{% if m %}{% endfor %}", "unexpected 'endfor': the innermost open block is 'if'")]
    [InlineData("text {{ name ", "unclosed tag")]
    [InlineData("{{ 'unterminated }}", "unterminated string literal")]
    [InlineData("{% macro m( %}{% endmacro %}", "expected ')'")]
    [InlineData("{{ (1 + 2 }}", "unexpected '}'")]
    [InlineData("{% set %}", "expected a name")]
    [InlineData("{% for x in xs recursive %}{% endfor %}", "recursive")]
    public void MalformedTemplatesAreSyntaxErrors(string source, string reason)
    {
        var ex = Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse(source, "t"));
        Assert.Contains(reason, ex.Reason);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessageAndPosition()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.TemplateText("gemma3"), "gemma3");
        ChatTemplateMessage[] notAlternating = [ChatTemplateMessage.User("a"), ChatTemplateMessage.User("b")];

        var ex = Assert.Throws<ChatTemplateRaisedException>(() => template.Render(notAlternating, addGenerationPrompt: true));

        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", ex.TemplateMessage);
        Assert.Equal(19, ex.Line); // the raise_exception call in gemma3.jinja
        Assert.Contains("gemma3", ex.Message);
    }

    [Fact]
    public void AttributeOfAnUndefinedVariableFailsAsInJinja()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("a\n  {{ settings.mode }}", "t").Render(new Dictionary<string, object?>()));
        Assert.Equal(2, ex.Line);
        Assert.Contains("'settings' is undefined", ex.Reason);
    }

    [Fact]
    public void RunawayRecursionStopsWithAnError()
    {
        var template = ChatTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "t");
        var ex = Assert.Throws<ChatTemplateException>(() => template.Render(new Dictionary<string, object?>()));
        Assert.Contains("nested more than", ex.Reason);
    }

    [Fact]
    public void LoopIterationsAreBounded()
    {
        var template = ChatTemplate.Parse("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "t");
        var ex = Assert.Throws<ChatTemplateException>(() => template.Render(new Dictionary<string, object?>(), new ChatTemplateOptions { MaxLoopIterations = 5000 }));
        Assert.Contains("5000 loop iterations", ex.Reason);
    }

    [Fact]
    public void OutputAndStringGrowthAreBounded()
    {
        var doubling = ChatTemplate.Parse("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", "t");
        var options = new ChatTemplateOptions { MaxOutputLength = 10_000 };
        Assert.Contains("10000 characters", Assert.Throws<ChatTemplateException>(() => doubling.Render(new Dictionary<string, object?>(), options)).Reason);

        var repeated = ChatTemplate.Parse("{% for i in range(100) %}{{ 'x' * 200 }}{% endfor %}", "t");
        Assert.Contains("10000 characters", Assert.Throws<ChatTemplateException>(() => repeated.Render(new Dictionary<string, object?>(), options)).Reason);
    }

    [Fact]
    public void DeeplyNestedExpressionsAreRefusedNotOverflowed()
    {
        string source = "{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}";
        var ex = Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse(source, "t"));
        Assert.Contains("nested more than", ex.Reason);
    }

    [Fact]
    public void ClrDictionariesListsAndJsonRenderAlike()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.TemplateText("qwen3"), "qwen3");
        JsonElement conversation = ChatTemplateFixtures.Read("conversations.json").GetProperty("tool_calls");
        string expected = ChatTemplateFixtures.Cases().Single(c => ChatTemplateFixtures.CaseId(c) == "qwen3/tool_calls/agp=True").GetProperty("expected").GetString()!;

        var arguments = new Dictionary<string, object?>
        {
            ["city"] = "Paris", ["unit"] = "celsius", ["days"] = 2, ["ratio"] = 0.5, ["exact"] = true, ["note"] = null, ["tags"] = new[] { "a", "é" },
        };
        var toolCall = new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = "get_weather", ["arguments"] = arguments } };
        ChatTemplateMessage[] messages =
        [
            ChatTemplateMessage.System("Use tools when needed."),
            ChatTemplateMessage.User("Weather in Paris?"),
            new("assistant", "") { AdditionalProperties = new Dictionary<string, object?> { ["tool_calls"] = new List<object> { toolCall } } },
            new("tool", "{\"temperature\": 21}"),
            ChatTemplateMessage.Assistant("It is 21 °C in Paris."),
        ];
        var options = new ChatTemplateOptions { EosToken = "<|im_end|>", Tools = System.Text.Json.Nodes.JsonNode.Parse(conversation.GetProperty("tools").GetRawText()) };

        Assert.Equal(expected, template.Render(messages, addGenerationPrompt: true, options));
    }

    [Fact]
    public void UnsupportedValueTypesAreRefusedByPath()
    {
        var template = ChatTemplate.Parse(ChatMl, "chatml");
        var ex = Assert.Throws<ArgumentException>(() => template.Render([new ChatTemplateMessage("user", new Uri("https://example.com"))], addGenerationPrompt: true));
        Assert.Contains("messages[0].content", ex.Message);
        Assert.Contains("Uri", ex.Message);
    }

    [Fact]
    public void ContinueFinalMessageEndsInsideTheLastTurn()
    {
        var template = ChatTemplate.Parse(ChatMl, "chatml");
        ChatTemplateMessage[] messages = [ChatTemplateMessage.User("2+2?"), ChatTemplateMessage.Assistant("The answer is ")];

        string prompt = template.Render(messages, addGenerationPrompt: false, new ChatTemplateOptions { ContinueFinalMessage = true });

        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\nThe answer is ", prompt);
        Assert.Throws<ArgumentException>(() => template.Render(messages, addGenerationPrompt: true, new ChatTemplateOptions { ContinueFinalMessage = true }));
    }

    [Fact]
    public void OneParsedTemplateRendersConcurrently()
    {
        var template = ChatTemplate.Parse(ChatTemplateFixtures.TemplateText("qwen3"), "qwen3");
        var results = new string[16];
        Parallel.For(0, results.Length, i => results[i] = template.Render([ChatTemplateMessage.User($"question {i % 4}")], addGenerationPrompt: true));
        for (int i = 0; i < results.Length; i++)
            Assert.Equal($"<|im_start|>user\nquestion {i % 4}<|im_end|>\n<|im_start|>assistant\n", results[i]);
    }

    [Fact]
    public void InvalidOptionsAreRefusedByName()
    {
        var template = ChatTemplate.Parse(ChatMl, "chatml");
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => template.Render([ChatTemplateMessage.User("x")], true, new ChatTemplateOptions { MaxOutputLength = 0 }));
        Assert.Equal("MaxOutputLength", ex.ParamName);
    }
}
