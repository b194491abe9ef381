using System.Text.Json;

namespace TestTimeScaling.Server;

/// <summary>Reads a JSON request body within the size limit.</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument> ReadAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength is long length && length > maxBytes)
            throw TooLarge(maxBytes);
        try
        {
            var document = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 64 }, context.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw ApiError.Invalid("body", "The request body must be a JSON object.");
            }
            return document;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        catch (JsonException e)
        {
            throw ApiError.Invalid("body", $"The request body is not valid JSON: {e.Message}");
        }
    }

    private static ApiError TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than this server's limit of {maxBytes} bytes.", "invalid_request_error", "body", "request_too_large");
}
