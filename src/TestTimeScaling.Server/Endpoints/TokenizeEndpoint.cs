using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>
/// <c>POST /tokenize</c> and <c>POST /detokenize</c> as vLLM serves them (llama.cpp server's field names are accepted
/// too): token counting and step-separator lookup for remote clients.
/// </summary>
internal static class TokenizeEndpoint
{
    public static Task TokenizeAsync(HttpContext context, ModelCatalog catalog, ServerOptions options) =>
        ApiHandler.RunAsync(context, async () =>
        {
            using var document = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
            var root = document.RootElement;
            var model = Tokenized(root, catalog, options);
            string text = JsonFields.OptionalString(root, "prompt", "prompt")
                ?? JsonFields.OptionalString(root, "content", "content")
                ?? throw ApiError.Invalid("prompt", "'prompt' (or 'content') is required.");
            bool special = JsonFields.OptionalBool(root, "add_special_tokens", "add_special_tokens")
                ?? JsonFields.OptionalBool(root, "add_special", "add_special") ?? true;
            var tokenizer = model.Tokenizer!;
            var ids = tokenizer.Encode(text);
            int[] tokens = special && tokenizer is { AddBosToken: true, BosTokenId: int bos } ? [bos, .. ids] : [.. ids];
            await ApiHandler.WriteJsonAsync(context, new JsonObject
            {
                ["count"] = tokens.Length,
                ["max_model_len"] = model.ContextLength,
                ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
            });
        });

    public static Task DetokenizeAsync(HttpContext context, ModelCatalog catalog, ServerOptions options) =>
        ApiHandler.RunAsync(context, async () =>
        {
            using var document = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
            var root = document.RootElement;
            var model = Tokenized(root, catalog, options);
            var value = JsonFields.Get(root, "tokens") ?? throw ApiError.Invalid("tokens", "'tokens' is required.");
            if (value.ValueKind != JsonValueKind.Array) throw ApiError.Invalid("tokens", "'tokens' must be an array of token ids.");
            var ids = new List<int>();
            foreach (var t in value.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id) || id < 0)
                    throw ApiError.Invalid($"tokens[{ids.Count}]", $"'tokens[{ids.Count}]' must be a token id.");
                ids.Add(id);
            }
            int vocab = model.VocabularySize;
            if (ids.FirstOrDefault(id => id >= vocab, -1) is int bad and >= 0)
                throw ApiError.Invalid("tokens", $"Token id {bad} is outside the vocabulary (size {vocab}).");
            await ApiHandler.WriteJsonAsync(context, new JsonObject { ["prompt"] = model.Tokenizer!.Decode(ids) });
        });

    private static ServedModel Tokenized(JsonElement root, ModelCatalog catalog, ServerOptions options)
    {
        var (name, model, _) = GenerationRequest.ResolveModel(root, catalog, options);
        if (model.Tokenizer is null) throw ApiError.Invalid("model", $"The model '{name}' has no local tokenizer.");
        return model;
    }
}
