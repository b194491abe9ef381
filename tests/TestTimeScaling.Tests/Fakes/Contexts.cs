namespace TestTimeScaling.Tests.Fakes;

public static class Contexts
{
    public static SearchContext For(ISampler sampler, IVerifier? verifier = null, Budget? budget = null, long? seed = 1, int maxNewTokens = 256) => new()
    {
        Sampler = sampler,
        Verifier = verifier,
        AnswerExtractor = LastLineAnswerExtractor.Default,
        Budget = budget ?? Budget.Samples(16),
        Sampling = new SamplingOptions { Seed = seed, MaxNewTokens = maxNewTokens },
    };
}
