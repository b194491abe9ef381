using System.Text.Json;

namespace TestTimeScaling.Server.Tests;

/// <summary>Reads a server-sent event stream as the OpenAI routes write it.</summary>
public static class Sse
{
    /// <summary>The JSON payload of each <c>data:</c> event before <c>[DONE]</c>; fails if <c>[DONE]</c> never comes.</summary>
    public static List<JsonElement> Parse(string body)
    {
        var events = new List<JsonElement>();
        bool done = false;
        foreach (var line in body.Split('\n'))
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line["data: ".Length..];
            if (data == "[DONE]") { done = true; break; }
            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        Assert.True(done, "The stream did not end with data: [DONE].");
        return events;
    }
}
