namespace TestTimeScaling.Server;

/// <summary>One generated choice, as both completions routes report it.</summary>
internal sealed record GeneratedChoice(string Text, FinishReason FinishReason, IReadOnlyList<int> TokenIds, IReadOnlyList<float>? Logprobs);

/// <summary>What a request produced: its choices, the tokens generated for them, and the search when a strategy ran.</summary>
internal sealed record GenerationOutput(IReadOnlyList<GeneratedChoice> Choices, long CompletionTokens, SearchResult? Search, Budget? Budget);

/// <summary>Runs a request: a plain sampler call, or a strategy over the model's sampler.</summary>
internal static class GenerationRunner
{
    /// <summary>
    /// Runs the request under an activity lease (its rows count against the server's limits while it runs); a client
    /// that disconnects cancels the work and the lease records it for /health.
    /// </summary>
    public static async Task<GenerationOutput> RunLeasedAsync(GenerationRequest request, ModelCatalog catalog, ServerOptions options,
        ServerActivity activity, HttpContext context)
    {
        using var lease = activity.Enter(request.Rows);
        try
        {
            return await RunAsync(request, catalog, options, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            lease.Cancelled = true;
            throw;
        }
    }

    /// <summary>
    /// Whether the request streams token by token: <c>stream</c> without a strategy (a strategy's answer is known only
    /// when its search ends), over a sampler that can stream. Other streamed requests send each whole sample as one event.
    /// </summary>
    public static bool StreamsTokens(GenerationRequest request) =>
        request.Stream && request.Strategy is null && request.Model.Sampler is IStreamingSampler;

    /// <summary>
    /// Streams a plain request's samples under an activity lease, handing each update to <paramref name="write"/> as
    /// the engine produces it; returns the tokens generated. A client that disconnects cancels the call.
    /// </summary>
    public static async Task<long> StreamLeasedAsync(GenerationRequest request, ServerActivity activity, HttpContext context, Func<SampleUpdate, Task> write)
    {
        using var lease = activity.Enter(request.Rows);
        var sampler = (IStreamingSampler)request.Model.Sampler!;
        long tokens = 0;
        try
        {
            await foreach (var update in sampler.StreamAsync(new SampleRequest { Prompt = request.Prompt, N = request.N, Options = request.Sampling }, context.RequestAborted))
            {
                tokens += update.TokenIds.Count;
                await write(update);
            }
            return tokens;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            lease.Cancelled = true;
            throw;
        }
    }

    public static async Task<GenerationOutput> RunAsync(GenerationRequest request, ModelCatalog catalog, ServerOptions options, CancellationToken cancellationToken)
    {
        var sampler = request.Model.Sampler!;
        if (request.Strategy is not { } spec)
        {
            var result = await sampler.SampleAsync(new SampleRequest { Prompt = request.Prompt, N = request.N, Options = request.Sampling }, cancellationToken);
            var choices = result.Completions.Select(c => new GeneratedChoice(c.Text, c.FinishReason, c.TokenIds, c.Logprobs)).ToList();
            return new GenerationOutput(choices, result.Completions.Sum(c => (long)c.GeneratedTokens), null, null);
        }

        IVerifier? verifier = null;
        string? verifierName = spec.Verifier ?? (spec.NeedsVerifier ? options.DefaultVerifier : null);
        if (verifierName is not null)
        {
            var model = catalog.Find(verifierName);
            if (model?.Verifier is null)
                throw ApiError.Invalid("test_time_scaling.verifier", $"'{verifierName}' is not a served process reward model.");
            verifier = model.Verifier;
        }
        else if (spec.NeedsVerifier)
        {
            throw ApiError.Invalid("test_time_scaling.verifier", $"The strategy '{spec.Strategy}' needs a verifier and this server has no default; name a process reward model.");
        }

        var pipeline = spec.Build(sampler, verifier, request.Sampling);
        var search = await pipeline.SolveAsync(new Problem(request.Prompt), cancellationToken);
        var chosen = search.Chosen;
        var choice = new GeneratedChoice(chosen?.Text ?? "", chosen?.FinishReason ?? FinishReason.Stop, [], null);
        return new GenerationOutput([choice], search.Usage.GeneratedTokens, search, pipeline.Context.Budget);
    }
}
