using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>
/// Runs a route's work and turns every failure into an OpenAI-style error: <see cref="ApiError"/> with its
/// status, an <see cref="ArgumentException"/> from the library as a 400 naming its parameter, a
/// <see cref="NotSupportedException"/> (a strategy the sampler cannot serve) as a 400, a client that
/// went away as nothing at all, anything else as a 500 (logged) that does not crash the process.
/// </summary>
internal static class ApiHandler
{
    /// <summary>Plain JSON text: '+' and quotes as themselves (model names carry '+'), still safe for JSON.</summary>
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task RunAsync(HttpContext context, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected: nobody is left to answer.
        }
        catch (ApiError e)
        {
            await WriteErrorAsync(context, e.Status, e.ToJson());
        }
        catch (ArgumentException e)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ApiError.Body(e.Message, "invalid_request_error", e.ParamName, null));
        }
        catch (NotSupportedException e)
        {
            // A strategy the model's sampler cannot serve (step-level search without step delimiters, for example).
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ApiError.Body(e.Message, "invalid_request_error", null, "not_supported"));
        }
        catch (Exception e)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("TestTimeScaling.Server");
            logger.LogError(e, "Request {Path} failed", context.Request.Path);
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError,
                ApiError.Body($"The server failed to answer: {e.GetType().Name}: {e.Message}", "server_error", null, null));
        }
    }

    public static async Task WriteJsonAsync(HttpContext context, JsonNode body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Json), context.RequestAborted);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, JsonObject body)
    {
        if (context.Response.HasStarted)
        {
            // Mid-stream: the status is gone; the error goes as one more event, as OpenAI-compatible servers do.
            await context.Response.WriteAsync($"data: {body.ToJsonString(Json)}\n\ndata: [DONE]\n\n", context.RequestAborted);
            return;
        }
        await WriteJsonAsync(context, body, status);
    }
}
