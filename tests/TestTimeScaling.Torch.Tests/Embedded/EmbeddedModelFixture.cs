using TestTimeScaling.Training;

namespace TestTimeScaling.Torch.Tests.Embedded;

/// <summary>The shipped models, loaded once for the test class through the public loader.</summary>
public sealed class EmbeddedModelFixture : IDisposable
{
    public EmbeddedModelFixture()
    {
        string models = EmbeddedModels.Locate();
        Policy = LanguageModel.Load(Path.Combine(models, EmbeddedModels.PolicyFolder));
        Prm = LanguageModel.Load(Path.Combine(models, EmbeddedModels.PrmFolder));
    }

    public LanguageModel Policy { get; }
    public LanguageModel Prm { get; }

    public void Dispose()
    {
        Policy.Dispose();
        Prm.Dispose();
    }
}
