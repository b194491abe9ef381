using TestTimeScaling.Torch;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Training;

/// <summary>Names and layout of the shipped models, and how a trained model is written in that layout.</summary>
public static class EmbeddedModels
{
    /// <summary>Folder of the policy under the models directory.</summary>
    public const string PolicyFolder = "arithmetic-policy";

    /// <summary>Folder of the process reward model under the models directory.</summary>
    public const string PrmFolder = "arithmetic-prm";

    /// <summary>The vocabulary both models share.</summary>
    public static CharacterVocabulary Vocabulary { get; } = new(ArithmeticFormat.Alphabet);

    /// <summary>
    /// The repository's <c>models/</c> folder: found by walking up from <paramref name="start"/> to the
    /// folder holding TestTimeScaling.sln; null when there is none.
    /// </summary>
    public static string? FindRepositoryModels(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TestTimeScaling.sln"))) return Path.Combine(dir.FullName, "models");
        return null;
    }

    /// <summary>
    /// The models directory an application should read: <c>models/</c> beside the executable (samples copy it
    /// there), else the repository's.
    /// </summary>
    public static string Locate()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (Directory.Exists(Path.Combine(beside, PolicyFolder))) return beside;
        return FindRepositoryModels(Directory.GetCurrentDirectory())
            ?? FindRepositoryModels(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"The embedded models were not found beside the program ('{beside}') or in a TestTimeScaling repository above the current directory.");
    }

    /// <summary>Writes a trained model and the character tokenizer as a Hugging Face directory.</summary>
    public static void Save(LlamaDecoder model, CharacterVocabulary vocabulary, string directory)
    {
        DecoderCheckpoint.Save(model, directory);
        var vocab = vocabulary.Tokens.Select((token, id) => (token, id))
            .ToDictionary(x => x.id < 3 ? x.token : ByteLevelAlphabet.Encode(x.token), x => x.id);
        HfTokenizer.WriteByteLevelBpe(directory, vocab, [], [CharacterVocabulary.Pad, CharacterVocabulary.Bos, CharacterVocabulary.Eos],
            bos: CharacterVocabulary.Bos, eos: CharacterVocabulary.Eos, pad: CharacterVocabulary.Pad, addBosToken: true);
    }
}
