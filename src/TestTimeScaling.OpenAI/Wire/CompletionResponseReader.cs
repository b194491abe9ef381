using System.Globalization;
using System.Text.Json;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// Reads completions JSON (a whole response or one streamed chunk) into a <see cref="CompletionJob"/>,
/// throwing <see cref="MalformedResponseException"/> with the path of the first field it cannot use.
/// </summary>
internal static class CompletionResponseReader
{
    private const string TokenIdPrefix = "token_id:";

    /// <summary>Applies one response or chunk. Text and logprobs append, so a stream builds each row piece by piece.</summary>
    public static void Apply(JsonElement root, CompletionJob job)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new MalformedResponseException("$", "the body is not a JSON object");
        if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            throw new MalformedResponseException("error", "the server reported an error: " + ErrorMessage(error));

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            job.PromptTokens = ReadCount(usage, "prompt_tokens", "usage.prompt_tokens") ?? job.PromptTokens;
            job.CompletionTokens = ReadCount(usage, "completion_tokens", "usage.completion_tokens") ?? job.CompletionTokens;
        }

        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            throw new MalformedResponseException("choices", "missing or not an array");
        int position = 0;
        foreach (var choice in choices.EnumerateArray())
        {
            string path = $"choices[{position}]";
            if (choice.ValueKind != JsonValueKind.Object) throw new MalformedResponseException(path, "not an object");
            int index = position;
            if (choice.TryGetProperty("index", out var idx))
            {
                if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt32(out index))
                    throw new MalformedResponseException(path + ".index", "not an integer");
            }
            if (index < 0 || index >= job.N)
                throw new MalformedResponseException(path + ".index", $"{index} is outside the {job.N} choice(s) asked for");
            ApplyChoice(choice, job.Choices[index], path);
            position++;
        }
    }

    private static void ApplyChoice(JsonElement choice, ChoiceState state, string path)
    {
        if (!choice.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            throw new MalformedResponseException(path + ".text", "missing or not a string");
        state.Text.Append(text.GetString());
        state.Seen = true;

        if (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Object)
            ApplyLogprobs(logprobs, state, path + ".logprobs");

        if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind != JsonValueKind.Null)
        {
            if (finish.ValueKind != JsonValueKind.String) throw new MalformedResponseException(path + ".finish_reason", "not a string");
            state.Finish = finish.GetString();
        }
        // vLLM says which stop matched in stop_reason, SGLang in matched_stop: a string for a stop string,
        // a number (the token id) or null for an end-of-sequence token.
        foreach (var name in (ReadOnlySpan<string>)["stop_reason", "matched_stop"])
        {
            if (!choice.TryGetProperty(name, out var matched)) continue;
            if (state.Finish is null && matched.ValueKind == JsonValueKind.Null) continue; // streamed chunks before the end
            state.ReportedMatch = true;
            if (matched.ValueKind == JsonValueKind.String) state.MatchedStop = matched.GetString();
        }
    }

    private static void ApplyLogprobs(JsonElement logprobs, ChoiceState state, string path)
    {
        if (!logprobs.TryGetProperty("token_logprobs", out var values) || values.ValueKind != JsonValueKind.Array)
            throw new MalformedResponseException(path + ".token_logprobs", "missing or not an array");
        state.Logprobs ??= [];
        int i = 0;
        foreach (var v in values.EnumerateArray())
        {
            // A token whose probability underflowed comes back as null or -Infinity (as a string by some servers).
            float value = v.ValueKind switch
            {
                JsonValueKind.Number => v.GetSingle(),
                JsonValueKind.Null => float.NegativeInfinity,
                JsonValueKind.String when float.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => f,
                _ => throw new MalformedResponseException($"{path}.token_logprobs[{i}]", "not a number"),
            };
            state.Logprobs.Add(value);
            i++;
        }
        state.TokenCount += i;
        state.TokensFromServer = true;

        if (logprobs.TryGetProperty("tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Array)
        {
            if (tokens.GetArrayLength() != i)
                throw new MalformedResponseException(path + ".tokens", $"{tokens.GetArrayLength()} token(s) for {i} logprob(s)");
            state.TokenIds ??= [];
            state.TokenTexts ??= new System.Text.StringBuilder();
            foreach (var t in tokens.EnumerateArray())
            {
                var s = t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (s is null || s.StartsWith(TokenIdPrefix, StringComparison.Ordinal)) state.TokenTextsUsable = false;
                else state.TokenTexts.Append(s);
                state.TokenIds.Add(s is not null && s.StartsWith(TokenIdPrefix, StringComparison.Ordinal)
                    && int.TryParse(s.AsSpan(TokenIdPrefix.Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : -1);
            }
        }
    }

    private static long? ReadCount(JsonElement usage, string name, string path)
    {
        if (!usage.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < 0)
            throw new MalformedResponseException(path, "not a non-negative integer");
        return n;
    }

    /// <summary>The message of an OpenAI-style error object (or the element's raw text).</summary>
    public static string ErrorMessage(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText();
}

/// <summary>A response field this library cannot use; turned into an <see cref="OpenAICompatibleServerException"/> by the sampler.</summary>
internal sealed class MalformedResponseException(string field, string detail) : Exception(detail)
{
    public string Field { get; } = field;
}
