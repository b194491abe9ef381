using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>
/// <c>POST /pooling</c>, shaped like vLLM's pooling API for token-classification reward models: body
/// <c>{"model", "input"}</c> (a string or an array of strings); answer <c>{"object":"list","data":[{"index","object":"pooling",
/// "data":[[p], ...]}],"usage"}</c> with one row per input token (BOS included when the tokenizer adds one) holding
/// each label's probability (sigmoid for one label, softmax for more).
/// </summary>
internal static class PoolingEndpoint
{
    public static Task HandleAsync(HttpContext context, ModelCatalog catalog, ServerOptions options, ServerActivity activity) =>
        ApiHandler.RunAsync(context, async () =>
        {
            using var document = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
            var root = document.RootElement;
            var (name, model, suffix) = GenerationRequest.ResolveModel(root, catalog, options);
            if (suffix is not null) throw ApiError.Invalid("model", "A strategy suffix has no meaning for /pooling.");
            if (model.Scorer is null)
                throw ApiError.Invalid("model", $"The model '{name}' is not a reward model; /pooling serves {string.Join(", ", catalog.All.Where(m => m.Scorer is not null).Select(m => m.Name))}.");

            var inputs = Inputs(root);
            if (inputs.Count > options.MaxN) throw ApiError.Invalid("input", $"'input' holds {inputs.Count} texts; this server allows {options.MaxN} per request.");
            var encoded = inputs.Select((text, i) =>
            {
                var tokens = model.Scorer.Encode(text);
                string param = inputs.Count == 1 ? "input" : $"input[{i}]";
                if (tokens.Length > options.MaxPromptTokens)
                    throw ApiError.Invalid(param, $"'{param}' is {tokens.Length} tokens; this server allows {options.MaxPromptTokens}.", "prompt_too_long");
                if (model.ContextLength is int ctx && tokens.Length > ctx)
                    throw ApiError.Invalid(param, $"This model's maximum context length is {ctx} tokens; '{param}' is {tokens.Length} tokens.", "context_length_exceeded");
                return tokens;
            }).ToList();

            using var lease = activity.Enter(inputs.Count);
            var data = new JsonArray();
            long promptTokens = 0;
            try
            {
                for (int i = 0; i < encoded.Count; i++)
                {
                    var rows = await model.Scorer.ScoreAsync(encoded[i], context.RequestAborted);
                    promptTokens += encoded[i].Length;
                    data.Add(new JsonObject
                    {
                        ["index"] = i,
                        ["object"] = "pooling",
                        ["data"] = new JsonArray(rows.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)v).ToArray())).ToArray()),
                    });
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                lease.Cancelled = true;
                throw;
            }
            await ApiHandler.WriteJsonAsync(context, new JsonObject
            {
                ["id"] = WireFormat.NewId("pool"),
                ["object"] = "list",
                ["created"] = WireFormat.Now(),
                ["model"] = name,
                ["data"] = data,
                ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["total_tokens"] = promptTokens, ["completion_tokens"] = 0 },
            });
        });

    private static List<string> Inputs(JsonElement root)
    {
        var value = JsonFields.Get(root, "input") ?? throw ApiError.Invalid("input", "'input' is required.");
        if (value.ValueKind == JsonValueKind.String) return [value.GetString()!];
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw ApiError.Invalid("input", "'input' must be a string or a non-empty array of strings.");
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiError.Invalid($"input[{list.Count}]", $"'input[{list.Count}]' must be a string.");
            list.Add(item.GetString()!);
        }
        return list;
    }
}
