using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class HuffmanTests
{
    // RFC 7541 Appendix B, codes as printed (right-aligned hex) with their lengths.
    [Theory]
    [InlineData((int)'0', 0x0u, 5)]
    [InlineData((int)'a', 0x3u, 5)]
    [InlineData((int)' ', 0x14u, 6)]
    [InlineData((int)'/', 0x18u, 6)]
    [InlineData((int)'z', 0x7bu, 7)]
    [InlineData((int)'&', 0xf8u, 8)]
    [InlineData((int)'!', 0x3f8u, 10)]
    [InlineData((int)'<', 0x7ffcu, 15)]
    [InlineData((int)'\\', 0x7fff0u, 19)]
    [InlineData(0, 0x1ff8u, 13)]
    [InlineData(1, 0x7fffd8u, 23)]
    [InlineData(10, 0x3ffffffcu, 30)]
    [InlineData(127, 0xffffffcu, 28)]
    [InlineData(128, 0xfffe6u, 20)]
    [InlineData(199, 0x1ffffecu, 25)]
    [InlineData(220, 0xffffffdu, 28)]
    [InlineData(254, 0x7fffff0u, 27)]
    [InlineData(255, 0x3ffffeeu, 26)]
    [InlineData(256, 0x3fffffffu, 30)]
    public void DerivedCodeMatchesTheRfcTable(int symbol, uint code, int length)
    {
        Assert.Equal((code, length), Huffman.GetCode(symbol));
    }

    [Fact]
    public void CodeIsCompletePrefixFree()
    {
        // Kraft sum of a complete prefix code is exactly 1; the last (EOS) code is all ones.
        double sum = 0;
        for (int s = 0; s <= 256; s++) sum += Math.Pow(2, -Huffman.GetCode(s).Length);
        Assert.Equal(1.0, sum, 12);
    }

    // RFC 7541 C.4 and C.6 Huffman-coded literals.
    [Theory]
    [InlineData("www.example.com", "f1e3c2e5f23a6ba0ab90f4ff")]
    [InlineData("no-cache", "a8eb10649cbf")]
    [InlineData("custom-key", "25a849e95ba97d7f")]
    [InlineData("custom-value", "25a849e95bb8e8b4bf")]
    [InlineData("302", "6402")]
    [InlineData("private", "aec3771a4b")]
    [InlineData("Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff")]
    [InlineData("https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3")]
    public void RfcVectors(string text, string hex)
    {
        byte[] raw = Encoding.ASCII.GetBytes(text);
        byte[] encoded = Hex.Parse(hex);
        Assert.Equal(encoded.Length, Huffman.GetEncodedLength(raw));
        var buf = new byte[encoded.Length];
        Assert.Equal(encoded.Length, Huffman.Encode(raw, buf));
        Assert.Equal(hex, Hex.Of(buf));
        var decoded = new byte[Huffman.GetMaxDecodedLength(encoded.Length)];
        int n = Huffman.Decode(encoded, decoded);
        Assert.Equal(text, Encoding.ASCII.GetString(decoded, 0, n));
    }

    [Fact]
    public void RoundTripsAnyBytes()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), raw =>
        {
            var enc = new byte[Huffman.GetEncodedLength(raw)];
            int e = Huffman.Encode(raw, enc);
            var dec = new byte[Huffman.GetMaxDecodedLength(e)];
            int d = Huffman.Decode(enc.AsSpan(0, e), dec);
            return d == raw.Length && dec.AsSpan(0, d).SequenceEqual(raw);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("18")]        // 'a' (00011) then padding 000: not the EOS prefix
    [InlineData("1e")]        // 'a' then 110: padding not all ones
    [InlineData("ff")]        // 8 bits of padding
    [InlineData("1fff")]      // 'a' then 11 bits of padding
    [InlineData("ffffffff")]  // EOS (30 ones) inside the string
    [InlineData("1fffffffff")] // 'a', then EOS
    public void RejectsBadPaddingAndEos(string hex)
    {
        byte[] enc = Hex.Parse(hex);
        Assert.Equal(-1, Huffman.Decode(enc, new byte[Huffman.GetMaxDecodedLength(enc.Length)]));
    }

    [Fact]
    public void DecodesValidPaddingOfUpToSevenBits()
    {
        // 'a' + 111 padding (3 bits) and "0" + 111 (5 bits of '0' then 3 ones).
        var dst = new byte[8];
        Assert.Equal(1, Huffman.Decode(Hex.Parse("1f"), dst));
        Assert.Equal((byte)'a', dst[0]);
        Assert.Equal(0, Huffman.Decode(ReadOnlySpan<byte>.Empty, dst));
    }

    [Fact]
    public void DecodeNeverThrowsOnArbitraryInput()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), enc =>
        {
            var dst = new byte[Huffman.GetMaxDecodedLength(enc.Length)];
            int n = Huffman.Decode(enc, dst);
            return n >= -1 && n <= dst.Length;
        }).QuickCheckThrowOnFailure();
    }
}
