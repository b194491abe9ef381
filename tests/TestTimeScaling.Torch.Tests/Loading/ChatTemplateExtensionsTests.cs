using System.Text.Json.Nodes;
using TestTimeScaling.Torch;
using static TestTimeScaling.Torch.Tests.Loading.TokenizerFiles;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary><see cref="ChatTemplateExtensions.ApplyChatTemplate"/> over a tokenizer directory with a chat template.</summary>
public sealed class ChatTemplateExtensionsTests
{
    [Fact]
    public void RendersWithTheTokenizersSpecialTokensAndEncodesToTheirIds()
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer_config.json", new JsonObject
        {
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
            ["chat_template"] = "{{ bos_token }}{% for m in messages %}{{ m['content'] | trim }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<tool>{% endif %}",
        });
        Write(dir.Path, "tokenizer.json", Tiny(SplitThenByteLevel(@"\d")));
        var tokenizer = HfTokenizer.Load(dir.Path);
        ChatTemplateMessage[] messages = [ChatTemplateMessage.User(" ab "), ChatTemplateMessage.Assistant("12")];

        string prompt = tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true);
        string history = tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: false);

        Assert.Equal("<s>ab</s>12</s><tool>", prompt);
        Assert.Equal("<s>ab</s>12</s>", history);
        var ids = tokenizer.Encode(prompt, addBos: false);
        Assert.Equal(8, ids[0]);
        Assert.Equal(10, ids[^1]);
        Assert.Equal(2, ids.Count(id => id == 9));
        Assert.Same(tokenizer.GetChatTemplate(), tokenizer.GetChatTemplate());
    }

    [Fact]
    public void ATokenizerWithoutATemplateIsRefusedByName()
    {
        using var dir = new TempDirectory();
        Write(dir.Path, "tokenizer.json", Tiny(SplitThenByteLevel(@"\d")));
        var tokenizer = HfTokenizer.Load(dir.Path);

        var ex = Assert.Throws<InvalidOperationException>(() => tokenizer.ApplyChatTemplate([ChatTemplateMessage.User("ab")], addGenerationPrompt: true));
        Assert.Contains("chat_template", ex.Message);
    }
}
