using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>Writes an SSE stream as OpenAI does: <c>data: {json}</c> events, then <c>data: [DONE]</c>.</summary>
internal static class ServerSentEvents
{
    public static void Start(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync(HttpContext context, JsonNode data)
    {
        await context.Response.WriteAsync($"data: {data.ToJsonString(ApiHandler.Json)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public static Task DoneAsync(HttpContext context) => context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
}
