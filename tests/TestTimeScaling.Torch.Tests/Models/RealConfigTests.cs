using System.Text;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// config.json files of released checkpoints (copied from their Hugging Face repositories) load, mean what
/// transformers makes of them, and give the published parameter counts through <see cref="TensorLayout"/>.
/// </summary>
public class RealConfigTests
{
    private const string Llama31_8B = """
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,"eos_token_id":128001,
         "hidden_act":"silu","hidden_size":4096,"initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":131072,"mlp_bias":false,
         "model_type":"llama","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"pretraining_tp":1,"rms_norm_eps":1e-05,
         "rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},
         "rope_theta":500000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.43.0.dev0","use_cache":true,"vocab_size":128256}
        """;

    private const string Llama2_7B = """
        {"architectures":["LlamaForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,"initializer_range":0.02,
         "intermediate_size":11008,"max_position_embeddings":4096,"model_type":"llama","num_attention_heads":32,"num_hidden_layers":32,
         "num_key_value_heads":32,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_scaling":null,"tie_word_embeddings":false,"torch_dtype":"float16",
         "transformers_version":"4.31.0.dev0","use_cache":true,"vocab_size":32000}
        """;

    private const string Mistral7B = """
        {"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,"initializer_range":0.02,
         "intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral","num_attention_heads":32,"num_hidden_layers":32,
         "num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":10000.0,"sliding_window":4096,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
         "transformers_version":"4.34.0.dev0","use_cache":true,"vocab_size":32000}
        """;

    private const string Qwen25_05B = """
        {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151645,"hidden_act":"silu","hidden_size":896,
         "initializer_range":0.02,"intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2",
         "num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,
         "tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.43.1","use_cache":true,"use_sliding_window":false,"vocab_size":151936}
        """;

    private const string TinyLlama = """
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":2048,
         "initializer_range":0.02,"intermediate_size":5632,"max_position_embeddings":2048,"model_type":"llama","num_attention_heads":32,
         "num_hidden_layers":22,"num_key_value_heads":4,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_scaling":null,"rope_theta":10000.0,
         "tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.35.0","use_cache":true,"vocab_size":32000}
        """;

    private const string Qwen3_06B = """
        {"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151645,"head_dim":128,
         "hidden_act":"silu","hidden_size":1024,"initializer_range":0.02,"intermediate_size":3072,"max_position_embeddings":40960,"max_window_layers":28,
         "model_type":"qwen3","num_attention_heads":16,"num_hidden_layers":28,"num_key_value_heads":8,"rms_norm_eps":1e-06,"rope_scaling":null,
         "rope_theta":1000000,"sliding_window":null,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.51.0",
         "use_cache":true,"use_sliding_window":false,"vocab_size":151936}
        """;

    private const string SmolLM2_135M = """
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":0,"eos_token_id":0,"hidden_act":"silu",
         "hidden_size":576,"initializer_range":0.041666666666666664,"intermediate_size":1536,"is_llama_config":true,"max_position_embeddings":8192,
         "model_type":"llama","num_attention_heads":9,"num_hidden_layers":30,"num_key_value_heads":3,"pretraining_tp":1,"rms_norm_eps":1e-05,
         "rope_interleaved":false,"rope_scaling":null,"rope_theta":100000,"tie_word_embeddings":true,"torch_dtype":"bfloat16",
         "transformers_version":"4.40.1","use_cache":true,"vocab_size":49152}
        """;

    private static ModelConfig Parse(string json, string name) => ModelConfig.FromJson(Encoding.UTF8.GetBytes(json), name);

    [Theory]
    [InlineData("Llama-3.1-8B", 8_030_261_248L)]
    [InlineData("Llama-2-7b", 6_738_415_616L)]
    [InlineData("Mistral-7B-v0.1", 7_241_732_096L)]
    [InlineData("Qwen2.5-0.5B", 494_032_768L)]
    [InlineData("TinyLlama-1.1B", 1_100_048_384L)]
    [InlineData("Qwen3-0.6B", 596_049_920L)]
    [InlineData("SmolLM2-135M", 134_515_008L)]
    public void PublishedParameterCounts(string name, long parameters)
    {
        string json = name switch
        {
            "Llama-3.1-8B" => Llama31_8B,
            "Llama-2-7b" => Llama2_7B,
            "Mistral-7B-v0.1" => Mistral7B,
            "Qwen2.5-0.5B" => Qwen25_05B,
            "TinyLlama-1.1B" => TinyLlama,
            "Qwen3-0.6B" => Qwen3_06B,
            _ => SmolLM2_135M,
        };
        Assert.Equal(parameters, TensorLayout.ParameterCount(Parse(json, name)));
    }

    [Fact]
    public void KeysMeanWhatTransformersMakesOfThem()
    {
        var llama3 = Parse(Llama31_8B, "llama3");
        Assert.Equal("llama3", llama3.RopeScaling!.RopeType);
        Assert.Equal(8192, llama3.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal(500000.0, llama3.RopeTheta);

        var mistral = Parse(Mistral7B, "mistral");
        Assert.All(Enumerable.Range(0, 32), i => Assert.True(mistral.IsSlidingLayer(i)));
        Assert.Equal(4096, mistral.SlidingWindow);
        Assert.DoesNotContain(TensorLayout.For(mistral), t => t.Name.EndsWith(".bias", StringComparison.Ordinal));

        var qwen = Parse(Qwen25_05B, "qwen2.5");
        Assert.DoesNotContain(Enumerable.Range(0, 24), qwen.IsSlidingLayer); // use_sliding_window false
        Assert.Contains(TensorLayout.For(qwen), t => t.Name == "model.layers.0.self_attn.q_proj.bias");
        Assert.DoesNotContain(TensorLayout.For(qwen), t => t.Name == "model.layers.0.self_attn.o_proj.bias");
        Assert.DoesNotContain(TensorLayout.For(qwen), t => t.Name == "lm_head.weight");
        // With the sliding window switched on, layers 21.. slide (max_window_layers = 21).
        var sliding = Parse(Qwen25_05B.Replace("\"use_sliding_window\":false", "\"use_sliding_window\":true"), "qwen2.5-swa");
        Assert.Equal(Enumerable.Range(21, 3), Enumerable.Range(0, 24).Where(sliding.IsSlidingLayer));
        // Qwen2.5's documented YaRN extension block.
        var yarn = Parse(Qwen25_05B.Replace("\"rope_theta\"", "\"rope_scaling\":{\"factor\":4.0,\"original_max_position_embeddings\":32768,\"type\":\"yarn\"},\"rope_theta\""), "qwen2.5-yarn");
        Assert.Equal("yarn", yarn.RopeScaling!.RopeType);
        Assert.Equal(32768, yarn.RopeScaling.OriginalMaxPositionEmbeddings);

        var qwen3 = Parse(Qwen3_06B, "qwen3");
        Assert.Equal(128, qwen3.HeadDim);
        Assert.Contains(TensorLayout.For(qwen3), t => t.Name == "model.layers.27.self_attn.k_norm.weight" && t.Shape.SequenceEqual(new long[] { 128 }));
        Assert.DoesNotContain(Enumerable.Range(0, 28), qwen3.IsSlidingLayer);

        var smol = Parse(SmolLM2_135M, "smollm2");
        Assert.True(smol.TieWordEmbeddings);
        Assert.Equal(64, smol.HeadDim);
    }
}
