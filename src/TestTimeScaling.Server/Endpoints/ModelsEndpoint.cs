using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>.</summary>
internal static class ModelsEndpoint
{
    public static Task ListAsync(HttpContext context, ModelCatalog catalog) =>
        ApiHandler.RunAsync(context, () => ApiHandler.WriteJsonAsync(context, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(catalog.All.Select(m => (JsonNode)Describe(m)).ToArray()),
        }));

    public static Task GetAsync(HttpContext context, string id, ModelCatalog catalog) =>
        ApiHandler.RunAsync(context, () =>
        {
            var model = catalog.Find(id) ?? throw ApiError.UnknownModel(id);
            return ApiHandler.WriteJsonAsync(context, Describe(model));
        });

    private static JsonObject Describe(ServedModel model) => new()
    {
        ["id"] = model.Name,
        ["object"] = "model",
        ["created"] = model.Created,
        ["owned_by"] = "test-time-scaling",
        ["max_model_len"] = model.ContextLength,
        ["kind"] = model.Kind == ModelKind.Policy ? "generate" : "reward",
    };
}
