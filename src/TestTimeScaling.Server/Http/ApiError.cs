using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>
/// A request the server refuses, answered as OpenAI does: <c>{"error":{"message","type","param","code"}}</c> with
/// <see cref="Status"/>.
/// </summary>
internal sealed class ApiError : Exception
{
    public ApiError(int status, string message, string type, string? param = null, string? code = null) : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    public int Status { get; }

    public string Type { get; }

    public string? Param { get; }

    public string? Code { get; }

    /// <summary>400: a field is missing, of the wrong type or out of range.</summary>
    public static ApiError Invalid(string param, string message, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    /// <summary>404: no model of that name.</summary>
    public static ApiError UnknownModel(string model) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' does not exist; GET /v1/models lists the served ones.", "invalid_request_error", "model", "model_not_found");

    /// <summary>429: the server is full.</summary>
    public static ApiError Busy(string message) =>
        new(StatusCodes.Status429TooManyRequests, message, "rate_limit_error", null, "rate_limit_exceeded");

    /// <summary>The JSON body of the answer.</summary>
    public JsonObject ToJson() => Body(Message, Type, Param, Code);

    public static JsonObject Body(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = code,
        },
    };
}
