using TestTimeScaling.Torch;
using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Integration;

/// <summary>The repository's embedded policy and process reward model, loaded once for every integration test.</summary>
public sealed class EmbeddedModelsFixture : IDisposable
{
    /// <summary>Loads both models from <see cref="EmbeddedModels.Locate"/>.</summary>
    public EmbeddedModelsFixture()
    {
        ModelsDirectory = EmbeddedModels.Locate();
        Policy = LanguageModel.Load(Path.Combine(ModelsDirectory, EmbeddedModels.PolicyFolder));
        Prm = LanguageModel.Load(Path.Combine(ModelsDirectory, EmbeddedModels.PrmFolder));
        Sampler = Policy.CreateSampler();
        Verifier = Prm.CreateProcessVerifier();
    }

    /// <summary>The folder holding both models.</summary>
    public string ModelsDirectory { get; }

    /// <summary>The policy.</summary>
    public LanguageModel Policy { get; }

    /// <summary>The process reward model.</summary>
    public LanguageModel Prm { get; }

    /// <summary>A sampler over the policy, shared (the engine serializes calls).</summary>
    public GenerationEngine Sampler { get; }

    /// <summary>The PRM as a verifier.</summary>
    public ProcessRewardVerifier Verifier { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Sampler.Dispose();
        Policy.Dispose();
        Prm.Dispose();
    }
}

/// <summary>
/// The integration tests share the loaded models and run one at a time, alone: one of them sets the working
/// directory, as a user running the README's examples from the repository root would have it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmbeddedModelsCollection : ICollectionFixture<EmbeddedModelsFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Embedded models";
}
