namespace TestTimeScaling.Torch;

/// <summary>Where one tensor of a checkpoint lies: its file, the file's data area and its header entry.</summary>
/// <param name="File">The safetensors file (inside the model directory).</param>
/// <param name="DataStart">The file offset of the data area.</param>
/// <param name="Info">The validated header entry.</param>
internal sealed record CheckpointTensor(string File, long DataStart, SafetensorsTensorInfo Info)
{
    /// <summary>The tensor name.</summary>
    public string Name => Info.Name;
}
