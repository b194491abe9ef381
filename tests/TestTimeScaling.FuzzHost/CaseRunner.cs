using System.Text.Json;
using TestTimeScaling;
using TestTimeScaling.Torch;

namespace TestTimeScaling.FuzzHost;

/// <summary>Loads fuzzed model directories one after another and reports each outcome as a JSON line.</summary>
internal static class CaseRunner
{
    // A missed size check must not take a shared machine down: fuzz cases are tiny models, so 1 GiB is ample.
    private static readonly ModelLoadOptions Options = new() { MaxWeightBytes = 1L << 30 };

    public static int Run(string listFile)
    {
        using var output = Console.OpenStandardOutput();
        foreach (string line in File.ReadLines(listFile))
        {
            if (line.Length == 0) continue;
            var (phase, error) = RunCase(line);
            using var json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            json.WriteString("case", line);
            json.WriteString("outcome", error is null ? "ok" : "error");
            if (error is not null)
            {
                json.WriteString("phase", phase);
                json.WriteString("type", error.GetType().FullName);
                json.WriteString("message", Shorten(error.Message));
                if (error is ArgumentException { ParamName: { } parameter }) json.WriteString("parameter", parameter);
            }
            json.WriteEndObject();
            json.Flush();
            output.WriteByte((byte)'\n');
            output.Flush();
        }
        return 0;
    }

    private static (string Phase, Exception? Error) RunCase(string directory)
    {
        LanguageModel model;
        try
        {
            model = LanguageModel.Load(directory, Options);
        }
        catch (Exception ex)
        {
            return ("load", ex);
        }

        try
        {
            using (model)
            using (var engine = model.CreateSampler())
            {
                var request = new SampleRequest { Prompt = "a", N = 1, Options = new SamplingOptions { MaxNewTokens = 1, Seed = 1 } };
                engine.SampleAsync(request).GetAwaiter().GetResult();
            }
            return ("generate", null);
        }
        catch (Exception ex)
        {
            return ("generate", ex);
        }
    }

    private static string Shorten(string message) => message.Length <= 400 ? message : message[..400] + "...";
}
