namespace TestTimeScaling.Torch;

/// <summary>
/// The weights a <see cref="LlamaDecoder"/>'s managed decode steps (CPU, float32, one token per row, at most eight
/// rows) multiply with; see <see cref="LlamaDecoder.DecodeWeights"/>.
/// </summary>
public enum DecodeWeightFormat
{
    /// <summary>The model's own fp32 weights (the default): decode steps equal the torch path within float32 rounding.</summary>
    Float32,

    /// <summary>
    /// A Q8_0 copy of every projection matrix (q/k/v, o, gate/up, down and the head; the embedding lookup stays fp32),
    /// quantized as llama.cpp's reference quantizer does: per block of 32 weights one fp16 scale max|w|/127 and 32
    /// signed bytes. Decode steps read about 3.6x fewer weight bytes; logits differ from fp32 by the quantization error.
    /// </summary>
    Q8_0,
}
