using TestTimeScaling.Samples.Scaling;
using TestTimeScaling.Torch;
using TestTimeScaling.Training;

namespace TestTimeScaling.Samples.Tests;

/// <summary>Lanes of the study over the embedded models, as the main job makes them: each its own copy of policy and PRM.</summary>
internal sealed class EmbeddedLanes : IDisposable
{
    private readonly List<LanguageModel> _models = [];

    public EmbeddedLanes(int count)
    {
        // The main job's setting: one torch thread per lane.
        TorchSharp.torch.set_num_threads(1);
        string folder = EmbeddedModels.Locate();
        Lanes = [.. Enumerable.Range(0, count).Select(_ =>
        {
            var policy = Load(Path.Combine(folder, EmbeddedModels.PolicyFolder));
            var prm = Load(Path.Combine(folder, EmbeddedModels.PrmFolder));
            return new StudyLane(() => policy.CreateSampler(), prm.CreateProcessVerifier());
        })];
    }

    public IReadOnlyList<StudyLane> Lanes { get; }

    /// <summary>The policies, one per lane.</summary>
    public IEnumerable<LanguageModel> Policies => _models.Where((_, i) => i % 2 == 0);

    private LanguageModel Load(string path)
    {
        var model = LanguageModel.Load(path);
        _models.Add(model);
        return model;
    }

    public void Dispose()
    {
        foreach (var m in _models) m.Dispose();
    }
}
