using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Reads and writes a <see cref="LlamaDecoder"/> as a Hugging Face directory (config.json + safetensors).</summary>
public static class DecoderCheckpoint
{
    /// <summary>
    /// Loads config.json and the safetensors weights of <paramref name="directory"/>. Everything is checked before
    /// the network is built: config.json, every safetensors header and the shard index, that each tensor the
    /// config implies exists with its shape and a floating-point dtype, that no other tensor is present, and that
    /// the weights fit <see cref="ModelLoadOptions.MaxWeightBytes"/>. The weights are then streamed from the files
    /// one tensor at a time into the parameters (bf16/fp16 converted per tensor), so the peak is the model plus
    /// one tensor. Each weight is checked to be finite as it is read.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="NotSupportedException">The model type or a config value is not supported, or a tensor's dtype cannot be represented.</exception>
    /// <exception cref="CheckpointMismatchException">A tensor is missing, has the wrong shape or a non-float dtype,
    /// or is not used by the architecture (unless <see cref="ModelLoadOptions.AllowUnusedTensors"/>).</exception>
    /// <exception cref="ModelTooLargeException">The weights would exceed <see cref="ModelLoadOptions.MaxWeightBytes"/>.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, a weight holds NaN or infinity, or a weights
    /// file lies outside the directory.</exception>
    public static LlamaDecoder Load(string directory, ModelLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory not found: '{directory}'.");
        options ??= new ModelLoadOptions();
        var config = ModelConfig.Load(directory);
        var device = options.Device ?? CPU;
        var dtype = options.DType ?? DefaultDType(config, device);

        // The size check comes first: it needs only the config, and the tensor list of an absurd config is itself large.
        CheckMemory(directory, config, device, dtype, options.MaxWeightBytes ?? ModelLoadOptions.DefaultMaxWeightBytes);
        IReadOnlyDictionary<string, CheckpointTensor> inventory = CheckpointInventory.Read(directory);
        CheckTensors(directory, config, inventory, options.AllowUnusedTensors);

        var model = LlamaDecoder.CreateEmpty(config);
        try
        {
            StreamWeights(model, inventory, directory);
        }
        catch
        {
            model.Dispose();
            throw;
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

    /// <summary>The host bytes loading needs at its peak: float32 parameters, plus the final copy when it ends on the CPU in another type.</summary>
    internal static long RequiredHostBytes(long parameterCount, Device device, ScalarType dtype)
    {
        try
        {
            long bytes = checked(parameterCount * 4);
            if (device.type == TorchSharp.DeviceType.CPU && dtype != ScalarType.Float32)
                bytes = checked(bytes + parameterCount * dtype.ElementSize());
            return bytes;
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    private static void CheckMemory(string directory, ModelConfig config, Device device, ScalarType dtype, long limit)
    {
        long parameters;
        try
        {
            parameters = TensorLayout.ParameterCount(config);
        }
        catch (InvalidDataException)
        {
            // The count itself overflows a long: certainly beyond any limit.
            throw new ModelTooLargeException(directory, long.MaxValue, limit);
        }
        long required = RequiredHostBytes(parameters, device, dtype);
        if (required > limit) throw new ModelTooLargeException(directory, required, limit);
    }

    private static void CheckTensors(string directory, ModelConfig config, IReadOnlyDictionary<string, CheckpointTensor> inventory, bool allowUnused)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (ExpectedTensor tensor in TensorLayout.For(config))
        {
            expected.Add(tensor.Name);
            if (!inventory.TryGetValue(tensor.Name, out CheckpointTensor? found))
                throw new CheckpointMismatchException(
                    $"The checkpoint in '{directory}' has no tensor '{tensor.Name}', which a {config.Architecture} with this config.json needs.", tensor.Name, directory);
            SafetensorsTensorInfo info = found.Info;
            if (!info.Shape.SequenceEqual(tensor.Shape))
                throw new CheckpointMismatchException(
                    $"Tensor '{tensor.Name}' in '{found.File}' has shape [{string.Join(", ", info.Shape)}]; config.json implies [{string.Join(", ", tensor.Shape)}].",
                    tensor.Name, directory);
            if (!IsFloat(info.DType))
                throw new CheckpointMismatchException(
                    $"Tensor '{tensor.Name}' in '{found.File}' has dtype {SafetensorsDType.TryGetCode(info.DType)}; a weight must be F32, F16, BF16 or F64.",
                    tensor.Name, directory);
        }

        if (allowUnused) return;
        var unused = inventory.Keys
            .Where(name => !expected.Contains(name) && !TensorLayout.IsIgnoredBuffer(name))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (unused.Count > 0)
        {
            string more = unused.Count > 1 ? $" (and {unused.Count - 1} more)" : "";
            throw new CheckpointMismatchException(
                $"The checkpoint in '{directory}' holds tensor '{unused[0]}'{more}, which a {config.Architecture} with this config.json does not use: " +
                "config.json probably does not describe these weights. Set ModelLoadOptions.AllowUnusedTensors to load it anyway.",
                unused[0], directory);
        }
    }

    private static bool IsFloat(ScalarType type) =>
        type is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;

    // File by file in offset order, each tensor read straight into its parameter when the types agree, or into one
    // staging tensor converted by copy_ when they do not: never a second copy of the whole model.
    private static void StreamWeights(LlamaDecoder model, IReadOnlyDictionary<string, CheckpointTensor> inventory, string directory)
    {
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (string name in parameters.Keys)
        {
            // TensorLayout is the contract; this guards the network against drifting from it.
            if (!inventory.ContainsKey(name))
                throw new CheckpointMismatchException($"The checkpoint in '{directory}' has no tensor '{name}', which the network needs.", name, directory);
        }

        foreach (var file in inventory.Values.GroupBy(t => t.File, StringComparer.Ordinal))
        {
            using SafeFileHandle handle = File.OpenHandle(file.Key, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            foreach (CheckpointTensor tensor in file.OrderBy(t => t.Info.Begin))
            {
                if (!parameters.TryGetValue(tensor.Name, out var parameter)) continue;
                if (!parameter.shape.SequenceEqual(tensor.Info.Shape))
                    throw new CheckpointMismatchException(
                        $"Tensor '{tensor.Name}' in '{tensor.File}' has shape [{string.Join(", ", tensor.Info.Shape)}]; the network has [{string.Join(", ", parameter.shape)}].",
                        tensor.Name, directory);
                long offset = tensor.DataStart + tensor.Info.Begin;
                if (parameter.dtype == tensor.Info.DType && parameter.is_contiguous() && parameter.device_type == TorchSharp.DeviceType.CPU)
                {
                    SafetensorsReader.FillFromFile(parameter, handle, offset, tensor.Info.ByteLength, tensor.File, tensor.Name);
                }
                else
                {
                    using Tensor staged = empty(tensor.Info.Shape, tensor.Info.DType);
                    SafetensorsReader.FillFromFile(staged, handle, offset, tensor.Info.ByteLength, tensor.File, tensor.Name);
                    parameter.copy_(staged);
                }
                CheckFinite(parameter, tensor);
            }
        }
    }

    // A NaN or infinite weight (a damaged file) would load and then fail natively at the first token, deep in the
    // sampler. Summing in float64 cannot overflow for finite float32 inputs, so the sum is finite exactly when every
    // element is, and it allocates nothing the size of the tensor.
    private static void CheckFinite(Tensor parameter, CheckpointTensor tensor)
    {
        using Tensor sum = parameter.sum(ScalarType.Float64);
        if (!double.IsFinite(sum.item<double>()))
            throw new InvalidDataException($"'{tensor.File}': tensor '{tensor.Name}' holds NaN or infinite values.");
    }

    private static ScalarType DefaultDType(ModelConfig config, Device device) =>
        device.type == TorchSharp.DeviceType.CUDA && config.TorchDtype is "bfloat16" ? ScalarType.BFloat16
        : device.type == TorchSharp.DeviceType.CUDA && config.TorchDtype is "float16" ? ScalarType.Float16
        : ScalarType.Float32;
}
