using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Models;

/// <summary>
/// Finds the embedded models this package copies beside the program: a small policy that solves multi-step
/// arithmetic one operation per line, and a process reward model that scores each of its steps. Load them with
/// <c>LanguageModel.Load(EmbeddedModels.PolicyDirectory)</c> from the TestTimeScaling.Torch package, and prompt
/// them as they were trained: <c>"Q: 17 +8 *3 -12\n"</c> (start at 17, add 8, multiply by 3, subtract 12).
/// </summary>
/// <remarks>
/// The files are copied to <c>models/arithmetic-policy</c> and <c>models/arithmetic-prm</c> under the program's
/// folder (<see cref="AppContext.BaseDirectory"/>) by every build and publish of a project that references this
/// package, directly or through another package. A single-file publish bundles nothing from them: publish without
/// <c>PublishSingleFile</c>, or pass the models' folder to <see cref="Locate(string)"/> yourself.
/// </remarks>
public static class EmbeddedModels
{
    /// <summary>Folder of the policy under <see cref="Directory"/>.</summary>
    public const string PolicyFolder = "arithmetic-policy";

    /// <summary>Folder of the process reward model under <see cref="Directory"/>.</summary>
    public const string RewardModelFolder = "arithmetic-prm";

    // Every file a Hugging Face directory of these models holds; checked so a partial copy fails here, by name.
    private static readonly string[] RequiredFiles = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

    /// <summary>The folder holding both models: <c>models</c> beside the program.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>The policy's Hugging Face directory (config, safetensors weights, tokenizer).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder is missing beside the program.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks one of the model's files.</exception>
    public static string PolicyDirectory => Locate(Path.Combine(Directory, PolicyFolder));

    /// <summary>The process reward model's Hugging Face directory (config, safetensors weights, tokenizer).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder is missing beside the program.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks one of the model's files.</exception>
    public static string RewardModelDirectory => Locate(Path.Combine(Directory, RewardModelFolder));

    /// <summary>
    /// Reads the models' answers: the integer on the final <c>A:</c> line, normalized (<c>A: 063</c> gives <c>63</c>).
    /// Pass it to the builder: <c>Scale.With(sampler).Extractor(EmbeddedModels.AnswerExtractor)</c>.
    /// </summary>
    public static IAnswerExtractor AnswerExtractor => ArithmeticAnswerExtractor.Instance;

    /// <summary>Checks that <paramref name="directory"/> holds a model's files and returns its full path.</summary>
    /// <param name="directory">A folder expected to hold <c>config.json</c>, <c>model.safetensors</c> and the tokenizer files.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks one of the model's files.</exception>
    public static string Locate(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new DirectoryNotFoundException(
                $"The embedded model folder '{full}' does not exist. The TestTimeScaling.Models package copies it beside the program " +
                "when a project references the package; a single-file publish leaves it out.");
        foreach (string file in RequiredFiles)
        {
            string path = Path.Combine(full, file);
            if (!File.Exists(path))
                throw new FileNotFoundException($"The embedded model folder '{full}' has no '{file}'; the copy is incomplete.", path);
        }
        return full;
    }
}
