using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// A decode step's attention by <see cref="DecodeAttention"/> (two products and a softmax under an additive mask)
/// equals libtorch's scaled_dot_product_attention under the same boolean mask, for grouped-query and plain heads,
/// ragged rows (each row sees a different number of keys) and sliding-window masks that hide leading keys.
/// </summary>
public class DecodeAttentionTests
{
    [Theory]
    [InlineData(1, 4, 4, 8, 5)]
    [InlineData(8, 8, 4, 32, 40)]
    [InlineData(64, 8, 2, 16, 33)]
    [InlineData(3, 6, 1, 8, 7)]
    public void Equals_sdpa_under_the_same_mask(int rows, int heads, int kvHeads, int dim, int slots)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var generator = new Generator(7);
        var queries = randn([rows, heads, 1, dim], generator: generator);
        // Keys and values as the cache hands them over: views of wider buffers (one slot more than read).
        var keys = randn([rows, kvHeads, slots + 3, dim], generator: generator).narrow(2, 0, slots);
        var values = randn([rows, kvHeads, slots + 3, dim], generator: generator).narrow(2, 0, slots);
        foreach (bool sliding in new[] { false, true })
        {
            // Row r sees keys [first, last]: last ragged over the rows, first > 0 when a window hides the oldest ones.
            var visible = new bool[rows * slots];
            for (int r = 0; r < rows; r++)
            {
                int last = slots - 1 - r % Math.Min(slots, 5);
                int first = sliding ? Math.Max(0, last - 3) : 0;
                for (int s = first; s <= last; s++) visible[r * slots + s] = true;
            }
            var mask = tensor(visible, [rows, 1, 1, slots]);
            var bias = zeros([rows, 1, slots]).masked_fill_(mask.view(rows, 1, slots).logical_not(), float.NegativeInfinity);

            var actual = DecodeAttention.Forward(queries, keys, values, bias);

            // The dense path's form: query heads that share a kv head folded into the query axis.
            int rep = heads / kvHeads;
            var grouped = queries.reshape(rows, kvHeads, rep, dim);
            var expanded = mask.expand(rows, 1, rep, slots);
            var expected = nn.functional.scaled_dot_product_attention(grouped, keys, values, attn_mask: expanded).reshape(rows, 1, heads * dim);

            Assert.Equal(new long[] { rows, 1, heads * dim }, actual.shape);
            float error = (actual - expected).abs().max().item<float>();
            Assert.True(error <= 1e-5f, $"sliding {sliding}: largest difference {error}");
        }
    }

    [Fact]
    public void A_hidden_key_has_no_weight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // One row, one head; key 1 would dominate (its value is huge) but the mask hides it.
        var queries = ones([1, 1, 1, 2]);
        var keys = tensor(new float[] { 0, 0, 10, 10, 0, 0 }, [1, 1, 3, 2]);
        var values = tensor(new float[] { 1, 1, 1000, 1000, 3, 3 }, [1, 1, 3, 2]);
        var bias = tensor(new float[] { 0, float.NegativeInfinity, 0 }, [1, 1, 3]);
        var output = DecodeAttention.Forward(queries, keys, values, bias);
        // Keys 0 and 2 score equally: the mean of their values.
        Assert.Equal(2f, output[0, 0, 0].item<float>(), 5);
        Assert.Equal(2f, output[0, 0, 1].item<float>(), 5);
    }
}
