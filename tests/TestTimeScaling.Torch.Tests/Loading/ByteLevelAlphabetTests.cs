using TestTimeScaling.Torch;

namespace TestTimeScaling.Torch.Tests.Loading;

public sealed class ByteLevelAlphabetTests
{
    [Fact]
    public void KnownSymbols()
    {
        Assert.Equal("Ġ", ByteLevelAlphabet.Symbols[' ']);
        Assert.Equal("Ċ", ByteLevelAlphabet.Symbols['\n']);
        Assert.Equal("ĉ", ByteLevelAlphabet.Symbols['\t']);
        Assert.Equal("a", ByteLevelAlphabet.Symbols['a']);
        Assert.Equal("Ā", ByteLevelAlphabet.Symbols[0]);
        Assert.Equal(256, ByteLevelAlphabet.Symbols.Distinct().Count());
    }

    [Fact]
    public void EncodeAndToBytesAreInverse()
    {
        byte[] all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        Assert.Equal(all, ByteLevelAlphabet.ToBytes(ByteLevelAlphabet.Encode(all)));
        Assert.Equal("helloĠworldĊ", ByteLevelAlphabet.Encode("hello world\n"));
        Assert.Equal("Ã©", ByteLevelAlphabet.Encode("é"));
        Assert.Throws<ArgumentException>(() => ByteLevelAlphabet.ToBytes("a b"));
    }
}
