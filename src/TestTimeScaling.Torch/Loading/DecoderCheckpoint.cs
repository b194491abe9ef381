using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Reads and writes a <see cref="LlamaDecoder"/> as a Hugging Face directory (config.json + safetensors).</summary>
public static class DecoderCheckpoint
{
    /// <summary>Loads config.json and the safetensors weights of <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="NotSupportedException">The model type is not a supported Llama-family type.</exception>
    /// <exception cref="CheckpointMismatchException">A tensor is missing or has the wrong shape.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated.</exception>
    public static LlamaDecoder Load(string directory, ModelLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory not found: '{directory}'.");
        var config = ModelConfig.Load(directory);
        var device = options?.Device ?? CPU;
        var dtype = options?.DType ?? DefaultDType(config, device);

        var weights = Safetensors.LoadDirectory(directory, ScalarType.Float32);
        var model = LlamaDecoder.CreateEmpty(config);
        try
        {
            CopyWeights(model, weights, directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        var moved = model.MoveTo(device, dtype);
        moved.eval();
        return moved;
    }

    /// <summary>Writes config.json and the weights (one file, or shards above <paramref name="maxShardBytes"/>).</summary>
    public static void Save(LlamaDecoder model, string directory, long? maxShardBytes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Config.Save(directory);
        var state = model.StateDict();
        Safetensors.SaveDirectory(directory, state, maxShardBytes);
    }

    /// <summary>Copies checkpoint tensors into the model's parameters, checking names and shapes.</summary>
    internal static void CopyWeights(LlamaDecoder model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!weights.TryGetValue(name, out var tensor))
                throw new CheckpointMismatchException(
                    $"The checkpoint in '{source}' has no tensor '{name}', which a {model.Config.Architecture} with this config.json needs.", name, source);
            if (!tensor.shape.SequenceEqual(parameter.shape))
                throw new CheckpointMismatchException(
                    $"Tensor '{name}' in '{source}' has shape [{string.Join(", ", tensor.shape)}]; config.json implies [{string.Join(", ", parameter.shape)}].", name, source);
            parameter.copy_(tensor);
        }
    }

    private static ScalarType DefaultDType(ModelConfig config, Device device) =>
        device.type == TorchSharp.DeviceType.CUDA && config.TorchDtype is "bfloat16" ? ScalarType.BFloat16
        : device.type == TorchSharp.DeviceType.CUDA && config.TorchDtype is "float16" ? ScalarType.Float16
        : ScalarType.Float32;
}
