using TestTimeScaling.OpenAI;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Server;

/// <summary>The models the server answers for, loaded once at start; owns the local ones.</summary>
internal sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];

    /// <summary>Loads every configured model; a directory outside the roots is refused before anything is read.</summary>
    /// <exception cref="UnauthorizedAccessException">A model directory lies outside every model root.</exception>
    /// <param name="options">What to serve.</param>
    /// <param name="upstreamClients">Creates the HTTP client of each upstream model (named <see cref="UpstreamClientName"/>).</param>
    public ModelCatalog(ServerOptions options, IHttpClientFactory? upstreamClients = null)
    {
        var roots = options.ModelRoots.Select(CanonicalDirectory).ToList();
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        try
        {
            foreach (var entry in options.Models)
            {
                string path = CanonicalDirectory(entry.Path);
                if (!roots.Any(root => IsInside(path, root)))
                    throw new UnauthorizedAccessException($"Model '{entry.Name}': directory '{entry.Path}' is outside the configured model roots ({string.Join(", ", options.ModelRoots)}).");
                var model = LanguageModel.Load(path);
                _owned.Add(model);
                if (entry.Kind == ModelKind.Policy)
                {
                    var engine = model.CreateSampler();
                    _owned.Add(engine);
                    _models[entry.Name] = new ServedModel
                    {
                        Name = entry.Name, Kind = ModelKind.Policy, Sampler = engine, Tokenizer = model.Tokenizer,
                        ContextLength = model.Config.MaxPositionEmbeddings, VocabularySize = model.Config.VocabSize, Created = created,
                    };
                }
                else
                {
                    _models[entry.Name] = new ServedModel
                    {
                        Name = entry.Name, Kind = ModelKind.ProcessReward, Tokenizer = model.Tokenizer,
                        Verifier = model.CreateProcessVerifier(), Scorer = new RewardModelScorer(model.Decoder, model.Tokenizer),
                        ContextLength = model.Config.MaxPositionEmbeddings, VocabularySize = model.Config.VocabSize, Created = created,
                    };
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        foreach (var upstream in options.Upstreams)
        {
            var factory = upstreamClients ?? throw new InvalidOperationException("Upstream models need an IHttpClientFactory.");
            var sampler = new OpenAICompatibleSampler(factory.CreateClient(UpstreamClientName), upstream);
            _models[upstream.Model] = new ServedModel
            {
                Name = upstream.Model, Kind = ModelKind.Policy, Sampler = sampler,
                ContextLength = sampler.Capabilities.ContextLength, Created = created,
            };
        }
        foreach (var (name, sampler) in options.Samplers)
            _models[name] = new ServedModel
            {
                Name = name, Kind = ModelKind.Policy, Sampler = sampler,
                ContextLength = sampler.Capabilities.ContextLength, Created = created,
            };
    }

    /// <summary>The name of the HTTP client upstream samplers use.</summary>
    public const string UpstreamClientName = "TestTimeScaling.Server.Upstream";

    /// <summary>Every served model, in a stable order.</summary>
    public IEnumerable<ServedModel> All => _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal);

    /// <summary>The model of that name, or null.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    private static string CanonicalDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        // Follow a symbolic link so a link inside a root cannot point outside it.
        var target = new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true);
        return Path.TrimEndingDirectorySeparator(target?.FullName ?? full);
    }

    private static bool IsInside(string path, string root) =>
        path.Equals(root, StringComparison.Ordinal) || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
