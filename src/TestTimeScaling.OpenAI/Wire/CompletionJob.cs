namespace TestTimeScaling.OpenAI;

/// <summary>
/// One HTTP request of a sampler call: <see cref="N"/> rows of one prefix, and what has come back so far.
/// Mutable on purpose: a streamed request fills it chunk by chunk, so a cancelled or failed call can still
/// report what each request generated.
/// </summary>
internal sealed class CompletionJob(int prefixIndex, string prefix, int n, long? seed)
{
    public int PrefixIndex { get; } = prefixIndex;
    public string Prefix { get; } = prefix;
    public int N { get; } = n;
    public long? Seed { get; } = seed;

    /// <summary>One entry per choice index; filled as the answer (or the stream) arrives.</summary>
    public ChoiceState[] Choices { get; } = Enumerable.Range(0, n).Select(_ => new ChoiceState()).ToArray();

    /// <summary>The server's usage block, when it sent one.</summary>
    public long? PromptTokens { get; set; }
    public long? CompletionTokens { get; set; }

    /// <summary>Whether the server answered with headers (so the prompt was charged).</summary>
    public bool Sent { get; set; }

    /// <summary>Whether the whole answer arrived (non-streamed body parsed, or the stream's [DONE]).</summary>
    public bool Completed { get; set; }

    /// <summary>Whether any data came back (so a partial stream has something to charge).</summary>
    public bool Started => Choices.Any(c => c.Text.Length > 0 || c.TokenCount > 0 || c.Finish is not null);
}

/// <summary>What one choice (row) of a request has produced.</summary>
internal sealed class ChoiceState
{
    public System.Text.StringBuilder Text { get; } = new();
    public List<float>? Logprobs { get; set; }
    public List<int>? TokenIds { get; set; }

    /// <summary>The generated tokens' texts joined (from logprobs.tokens): unlike the text, they include a matched stop string or EOS.</summary>
    public System.Text.StringBuilder? TokenTexts { get; set; }
    public bool TokenTextsUsable { get; set; } = true;

    /// <summary>Tokens counted from the logprobs entries; 0 when the server sent none.</summary>
    public int TokenCount { get; set; }
    public bool TokensFromServer { get; set; }

    /// <summary>The server's finish_reason, null while unfinished.</summary>
    public string? Finish { get; set; }

    /// <summary>The stop string that matched, when the server said (vLLM stop_reason, SGLang matched_stop).</summary>
    public string? MatchedStop { get; set; }

    /// <summary>Whether the server sent a stop_reason/matched_stop field at all (null means "EOS").</summary>
    public bool ReportedMatch { get; set; }

    /// <summary>Whether any response entry named this choice.</summary>
    public bool Seen { get; set; }
}
