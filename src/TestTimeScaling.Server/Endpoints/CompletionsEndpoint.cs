using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary><c>POST /v1/completions</c>: a text prompt continued, plainly or under a strategy.</summary>
internal static class CompletionsEndpoint
{
    public static Task HandleAsync(HttpContext context, ModelCatalog catalog, ServerOptions options, ServerActivity activity) =>
        ApiHandler.RunAsync(context, async () =>
        {
            using var document = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
            var root = document.RootElement;
            if (JsonFields.OptionalBool(root, "echo", "echo") is true)
                throw ApiError.Invalid("echo", "'echo' is not supported.");
            if (JsonFields.Get(root, "suffix") is not null)
                throw ApiError.Invalid("suffix", "'suffix' is not supported.");
            var request = GenerationRequest.Parse(root, ReadPrompt(root), chat: false, catalog, options);

            string id = WireFormat.NewId("cmpl");
            long created = WireFormat.Now();
            if (GenerationRunner.StreamsTokens(request))
            {
                await StreamTokensAsync(context, request, activity, id, created);
                return;
            }

            var output = await GenerationRunner.RunLeasedAsync(request, catalog, options, activity, context);
            if (!request.Stream)
            {
                var body = Envelope(id, created, request);
                body["choices"] = new JsonArray(output.Choices.Select((c, i) => (JsonNode)Choice(request, c, i, includeFinish: true)).ToArray());
                body["usage"] = WireFormat.Usage(request, output);
                if (WireFormat.Scaling(request, output) is { } scaling) body["test_time_scaling"] = scaling;
                await ApiHandler.WriteJsonAsync(context, body);
                return;
            }

            // A strategy's answer (or a request with logprobs) comes whole: each choice streams as one text event and one finish event.
            ServerSentEvents.Start(context);
            for (int i = 0; i < output.Choices.Count; i++)
            {
                var chunk = Envelope(id, created, request);
                chunk["choices"] = new JsonArray(Choice(request, output.Choices[i], i, includeFinish: false));
                await ServerSentEvents.WriteAsync(context, chunk);
            }
            for (int i = 0; i < output.Choices.Count; i++)
            {
                var chunk = Envelope(id, created, request);
                chunk["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = i, ["text"] = "", ["logprobs"] = null, ["finish_reason"] = WireFormat.FinishReason(output.Choices[i].FinishReason),
                });
                if (i == output.Choices.Count - 1 && WireFormat.Scaling(request, output) is { } scaling) chunk["test_time_scaling"] = scaling;
                await ServerSentEvents.WriteAsync(context, chunk);
            }
            if (request.IncludeUsageInStream)
            {
                var usage = Envelope(id, created, request);
                usage["choices"] = new JsonArray();
                usage["usage"] = WireFormat.Usage(request, output);
                await ServerSentEvents.WriteAsync(context, usage);
            }
            await ServerSentEvents.DoneAsync(context);
        });

    /// <summary>A plain streamed request, token by token: a text event per piece of a choice's text, a finish event when it ends.</summary>
    private static async Task StreamTokensAsync(HttpContext context, GenerationRequest request, ServerActivity activity, string id, long created)
    {
        bool started = false;
        // Per choice, where its next token's text starts (text_offset counts from the choice's start, as unstreamed).
        var offsets = new Dictionary<int, int>();
        long tokens = await GenerationRunner.StreamLeasedAsync(request, activity, context, async update =>
        {
            bool withLogprobs = request.Logprobs is not null && update.TokenIds.Count > 0;
            if (update.Text.Length == 0 && update.FinishReason is null && !withLogprobs) return;
            // Headers go with the first event, so a request the engine refuses still gets its error status.
            if (!started) ServerSentEvents.Start(context);
            started = true;
            JsonObject? logprobs = null;
            if (withLogprobs)
            {
                int offset = offsets.GetValueOrDefault(update.Index);
                logprobs = Logprobs(request.Model, new GeneratedChoice(update.Text, FinishReason.Stop, update.TokenIds, update.Logprobs), request.Logprobs!.Value, ref offset);
                offsets[update.Index] = offset;
            }
            var chunk = Envelope(id, created, request);
            chunk["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = update.Index, ["text"] = update.Text, ["logprobs"] = logprobs,
                ["finish_reason"] = update.FinishReason is { } finish ? WireFormat.FinishReason(finish) : null,
            });
            await ServerSentEvents.WriteAsync(context, chunk);
        });
        if (!started) ServerSentEvents.Start(context);
        if (request.IncludeUsageInStream)
        {
            var usage = Envelope(id, created, request);
            usage["choices"] = new JsonArray();
            usage["usage"] = WireFormat.Usage(request, new GenerationOutput([], tokens, null, null));
            await ServerSentEvents.WriteAsync(context, usage);
        }
        await ServerSentEvents.DoneAsync(context);
    }

    private static string ReadPrompt(JsonElement root)
    {
        var value = JsonFields.Get(root, "prompt") ?? throw ApiError.Invalid("prompt", "'prompt' is required.");
        if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1 && value[0].ValueKind == JsonValueKind.String)
            return value[0].GetString()!;
        throw ApiError.Invalid("prompt", "'prompt' must be a string (or an array holding one string).");
    }

    private static JsonObject Envelope(string id, long created, GenerationRequest request) => new()
    {
        ["id"] = id,
        ["object"] = "text_completion",
        ["created"] = created,
        ["model"] = request.ModelName,
    };

    private static JsonObject Choice(GenerationRequest request, GeneratedChoice choice, int index, bool includeFinish) => new()
    {
        ["index"] = index,
        ["text"] = choice.Text,
        ["logprobs"] = request.Logprobs is int top ? Logprobs(request.Model, choice, top) : null,
        ["finish_reason"] = includeFinish ? WireFormat.FinishReason(choice.FinishReason) : null,
    };

    /// <summary>
    /// The legacy completions logprobs object. The engine reports the sampled token's logprob only, so
    /// <c>top_logprobs</c> holds that token alone when alternatives are asked for.
    /// </summary>
    private static JsonObject Logprobs(ServedModel model, GeneratedChoice choice, int top)
    {
        int offset = 0;
        return Logprobs(model, choice, top, ref offset);
    }

    /// <summary>Like the whole-choice form, for some of a choice's tokens whose text starts at <paramref name="offset"/> (advanced past them).</summary>
    private static JsonObject Logprobs(ServedModel model, GeneratedChoice choice, int top, ref int offset)
    {
        var tokens = new JsonArray();
        var logprobs = new JsonArray();
        var offsets = new JsonArray();
        var tops = new JsonArray();
        for (int i = 0; i < choice.TokenIds.Count; i++)
        {
            string text = model.TokenText(choice.TokenIds[i]) ?? "";
            float? lp = choice.Logprobs is { } l && i < l.Count ? l[i] : null;
            tokens.Add(text);
            logprobs.Add(lp);
            offsets.Add(offset);
            offset += text.Length;
            if (top > 0) tops.Add(new JsonObject { [text] = lp });
        }
        return new JsonObject
        {
            ["tokens"] = tokens,
            ["token_logprobs"] = logprobs,
            ["top_logprobs"] = top > 0 ? tops : null,
            ["text_offset"] = offsets,
        };
    }
}
