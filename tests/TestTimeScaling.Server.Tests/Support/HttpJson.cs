using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server.Tests;

/// <summary>Raw JSON over HTTP, for routes and fields the OpenAI SDK does not expose.</summary>
public static class HttpJson
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, JsonNode body, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<(HttpStatusCode Status, string Body)> PostRawAsync(HttpClient http, string path, string body, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Asserts an OpenAI-style error and returns its <c>error</c> object.</summary>
    public static JsonElement AssertError(HttpStatusCode expected, (HttpStatusCode Status, JsonElement Body) response, string? param = null)
    {
        Assert.Equal(expected, response.Status);
        var error = response.Body.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("code", out _));
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }
}
