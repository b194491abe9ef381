using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using TestTimeScaling.Extensions.AI;

namespace TestTimeScaling.Server;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the messages become one prompt with <see cref="ChatPrompt.Concatenate"/> (the
/// embedded models have no chat template), then the request runs as a completion, plainly or under a strategy.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    public static Task HandleAsync(HttpContext context, ModelCatalog catalog, ServerOptions options, ServerActivity activity) =>
        ApiHandler.RunAsync(context, async () =>
        {
            using var document = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
            var root = document.RootElement;
            if (JsonFields.Get(root, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
                throw ApiError.Invalid("tools", "Tool calling is not supported.");
            string prompt = ChatPrompt.Concatenate(ReadMessages(root));
            var request = GenerationRequest.Parse(root, prompt, chat: true, catalog, options);

            string id = WireFormat.NewId("chatcmpl");
            long created = WireFormat.Now();
            if (GenerationRunner.StreamsTokens(request))
            {
                await StreamTokensAsync(context, request, activity, id, created);
                return;
            }

            var output = await GenerationRunner.RunLeasedAsync(request, catalog, options, activity, context);
            if (!request.Stream)
            {
                var body = Envelope(id, created, request, "chat.completion");
                body["choices"] = new JsonArray(output.Choices.Select((c, i) => (JsonNode)new JsonObject
                {
                    ["index"] = i,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = c.Text },
                    ["logprobs"] = request.Logprobs is int top ? Logprobs(request.Model, c, top) : null,
                    ["finish_reason"] = WireFormat.FinishReason(c.FinishReason),
                }).ToArray());
                body["usage"] = WireFormat.Usage(request, output);
                if (WireFormat.Scaling(request, output) is { } scaling) body["test_time_scaling"] = scaling;
                await ApiHandler.WriteJsonAsync(context, body);
                return;
            }

            // A strategy's answer (or a request with logprobs) comes whole: per choice, a role event, a content event and a finish event.
            ServerSentEvents.Start(context);
            for (int i = 0; i < output.Choices.Count; i++)
            {
                var c = output.Choices[i];
                await ServerSentEvents.WriteAsync(context, Chunk(id, created, request, i, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, null));
                await ServerSentEvents.WriteAsync(context, Chunk(id, created, request, i, new JsonObject { ["content"] = c.Text },
                    request.Logprobs is int top ? Logprobs(request.Model, c, top) : null, null));
                var finish = Chunk(id, created, request, i, new JsonObject(), null, WireFormat.FinishReason(c.FinishReason));
                if (i == output.Choices.Count - 1 && WireFormat.Scaling(request, output) is { } scaling) finish["test_time_scaling"] = scaling;
                await ServerSentEvents.WriteAsync(context, finish);
            }
            if (request.IncludeUsageInStream)
            {
                var usage = Envelope(id, created, request, "chat.completion.chunk");
                usage["choices"] = new JsonArray();
                usage["usage"] = WireFormat.Usage(request, output);
                await ServerSentEvents.WriteAsync(context, usage);
            }
            await ServerSentEvents.DoneAsync(context);
        });

    /// <summary>
    /// A plain streamed request, token by token: per choice a role event when its first update comes, a content event
    /// for each piece of text, and a finish event; the events of several choices interleave as their rows decode.
    /// </summary>
    private static async Task StreamTokensAsync(HttpContext context, GenerationRequest request, ServerActivity activity, string id, long created)
    {
        var started = new HashSet<int>();
        long tokens = await GenerationRunner.StreamLeasedAsync(request, activity, context, async update =>
        {
            // Headers go with the first event, so a request the engine refuses still gets its error status.
            if (started.Count == 0) ServerSentEvents.Start(context);
            if (started.Add(update.Index))
                await ServerSentEvents.WriteAsync(context, Chunk(id, created, request, update.Index, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, null));
            // Each update's tokens have their logprobs sent with it, even while their text is held back (empty content).
            var logprobs = request.Logprobs is int top && update.TokenIds.Count > 0
                ? Logprobs(request.Model, new GeneratedChoice(update.Text, FinishReason.Stop, update.TokenIds, update.Logprobs), top)
                : null;
            if (update.Text.Length > 0 || logprobs is not null)
                await ServerSentEvents.WriteAsync(context, Chunk(id, created, request, update.Index, new JsonObject { ["content"] = update.Text }, logprobs, null));
            if (update.FinishReason is { } finish)
                await ServerSentEvents.WriteAsync(context, Chunk(id, created, request, update.Index, new JsonObject(), null, WireFormat.FinishReason(finish)));
        });
        if (request.IncludeUsageInStream)
        {
            var usage = Envelope(id, created, request, "chat.completion.chunk");
            usage["choices"] = new JsonArray();
            usage["usage"] = WireFormat.Usage(request, new GenerationOutput([], tokens, null, null));
            await ServerSentEvents.WriteAsync(context, usage);
        }
        await ServerSentEvents.DoneAsync(context);
    }

    /// <summary>The <c>messages</c> array: roles system, developer, user, assistant; content a string or text parts.</summary>
    private static List<ChatMessage> ReadMessages(JsonElement root)
    {
        var value = JsonFields.Get(root, "messages") ?? throw ApiError.Invalid("messages", "'messages' is required.");
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw ApiError.Invalid("messages", "'messages' must be a non-empty array.");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            string path = $"messages[{i}]";
            if (item.ValueKind != JsonValueKind.Object) throw ApiError.Invalid(path, $"'{path}' must be an object.");
            string role = JsonFields.RequiredString(item, "role", path + ".role");
            if (role is not ("system" or "developer" or "user" or "assistant"))
                throw ApiError.Invalid(path + ".role", $"'{path}.role' is '{role}'; use system, developer, user or assistant.");
            messages.Add(new ChatMessage(new ChatRole(role), Content(item, path + ".content")));
            i++;
        }
        return messages;
    }

    private static string Content(JsonElement message, string path)
    {
        var content = JsonFields.Get(message, "content") ?? throw ApiError.Invalid(path, $"'{path}' is required.");
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw ApiError.Invalid(path, $"'{path}' must be a string or an array of text parts.");
        var text = new System.Text.StringBuilder();
        int j = 0;
        foreach (var part in content.EnumerateArray())
        {
            string partPath = $"{path}[{j++}]";
            if (part.ValueKind != JsonValueKind.Object || JsonFields.OptionalString(part, "type", partPath + ".type") != "text")
                throw ApiError.Invalid(partPath, $"'{partPath}' must be a text part ({{\"type\":\"text\",\"text\":...}}); other content is not supported.");
            text.Append(JsonFields.RequiredString(part, "text", partPath + ".text"));
        }
        return text.ToString();
    }

    private static JsonObject Envelope(string id, long created, GenerationRequest request, string kind) => new()
    {
        ["id"] = id,
        ["object"] = kind,
        ["created"] = created,
        ["model"] = request.ModelName,
    };

    private static JsonObject Chunk(string id, long created, GenerationRequest request, int index, JsonObject delta, JsonObject? logprobs, string? finish)
    {
        var chunk = Envelope(id, created, request, "chat.completion.chunk");
        chunk["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = index, ["delta"] = delta, ["logprobs"] = logprobs, ["finish_reason"] = finish,
        });
        return chunk;
    }

    /// <summary>Chat logprobs: the sampled token's logprob; the engine reports no alternatives, so <c>top_logprobs</c> holds that token alone when asked.</summary>
    private static JsonObject Logprobs(ServedModel model, GeneratedChoice choice, int top)
    {
        var content = new JsonArray();
        for (int i = 0; i < choice.TokenIds.Count; i++)
        {
            string text = model.TokenText(choice.TokenIds[i]) ?? "";
            JsonNode? lp = choice.Logprobs is { } l && i < l.Count ? JsonValue.Create(l[i]) : null;
            var bytes = new JsonArray(System.Text.Encoding.UTF8.GetBytes(text).Select(b => (JsonNode)(int)b).ToArray());
            var entry = new JsonObject { ["token"] = text, ["logprob"] = lp, ["bytes"] = bytes };
            entry["top_logprobs"] = top > 0
                ? new JsonArray(new JsonObject { ["token"] = text, ["logprob"] = lp?.DeepClone(), ["bytes"] = bytes.DeepClone() })
                : new JsonArray();
            content.Add(entry);
        }
        return new JsonObject { ["content"] = content, ["refusal"] = null };
    }
}
