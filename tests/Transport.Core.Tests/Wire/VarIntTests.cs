using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;

namespace Transport.Core.Tests.Wire;

public class VarIntTests
{
    // RFC 9000 Appendix A.1 examples.
    [Theory]
    [InlineData("c2197c5eff14e88c", 151288809941952652UL)]
    [InlineData("9d7f3e7d", 494878333UL)]
    [InlineData("7bbd", 15293UL)]
    [InlineData("25", 37UL)]
    [InlineData("4025", 37UL)] // not the shortest encoding, still valid
    public void Rfc9000AppendixA1_Decodes(string hex, ulong expected)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.True(VarInt.TryRead(bytes, out ulong value, out int read));
        Assert.Equal(expected, value);
        Assert.Equal(bytes.Length, read);
    }

    [Theory]
    [InlineData("c2197c5eff14e88c", 151288809941952652UL)]
    [InlineData("9d7f3e7d", 494878333UL)]
    [InlineData("7bbd", 15293UL)]
    [InlineData("25", 37UL)]
    public void Rfc9000AppendixA1_EncodesShortest(string hex, ulong value)
    {
        Span<byte> buffer = stackalloc byte[8];
        Assert.True(VarInt.TryWrite(buffer, value, out int written));
        Assert.Equal(hex, Convert.ToHexStringLower(buffer[..written]));
    }

    // RFC 9000 §16 Table 4: the 2-bit prefix, length and usable bits.
    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(63UL, 1)]
    [InlineData(64UL, 2)]
    [InlineData(16383UL, 2)]
    [InlineData(16384UL, 4)]
    [InlineData(1073741823UL, 4)]
    [InlineData(1073741824UL, 8)]
    [InlineData(4611686018427387903UL, 8)]
    public void Section16Table_Lengths(ulong value, int length)
    {
        Assert.Equal(length, VarInt.GetLength(value));
        Span<byte> buffer = stackalloc byte[8];
        VarInt.TryWrite(buffer, value, out int written);
        Assert.Equal(length, written);
        Assert.Equal(length, VarInt.GetLengthFromFirstByte(buffer[0]));
        int prefix = buffer[0] >> 6;
        Assert.Equal(length, 1 << prefix);
    }

    [Fact]
    public void AboveTwoToThe62_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.GetLength(VarInt.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.TryWrite(new byte[8], ulong.MaxValue, out _));
    }

    [Fact]
    public void FixedLength_TooSmallForValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.TryWrite(new byte[8], 64, 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.TryWrite(new byte[8], 1, 3, out _));
    }

    [Fact]
    public void Truncated_ReturnsFalse_AndReadThrowsCodecError()
    {
        byte[] bytes = Convert.FromHexString("c2197c5eff14e8"); // 7 of 8 bytes
        Assert.False(VarInt.TryRead(bytes, out _, out int read));
        Assert.Equal(0, read);
        Assert.False(VarInt.TryRead(ReadOnlySpan<byte>.Empty, out _, out _));
        Assert.Throws<WireFormatException>(() => VarInt.Read(bytes, out _));
    }

    [Fact]
    public void DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(VarInt.TryWrite(new byte[3], 1073741823UL, out int written));
        Assert.Equal(0, written);
        Assert.Throws<WireFormatException>(() => VarInt.Write(new byte[1], 64));
    }

    private static Arbitrary<ulong> VarIntValues =>
        Gen.OneOf(
            Gen.Choose(0, 63).Select(i => (ulong)i),
            Gen.Choose(0, 16383).Select(i => (ulong)i),
            ArbMap.Default.GeneratorFor<ulong>().Select(v => v & VarInt.MaxValue),
            ArbMap.Default.GeneratorFor<uint>().Select(v => (ulong)(v & 0x3FFF_FFFF))).ToArbitrary();

    [Fact]
    public void RoundTrip_Property()
    {
        Prop.ForAll(VarIntValues, value =>
        {
            Span<byte> buffer = stackalloc byte[8];
            bool ok = VarInt.TryWrite(buffer, value, out int written);
            bool back = VarInt.TryRead(buffer[..written], out ulong decoded, out int read);
            return ok && back && decoded == value && read == written && written == VarInt.GetLength(value);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RoundTrip_AnyAllowedFixedLength_Property()
    {
        Prop.ForAll(VarIntValues, Gen.Elements(1, 2, 4, 8).ToArbitrary(), (value, length) =>
        {
            if (VarInt.GetLength(value) > length) return true;
            Span<byte> buffer = stackalloc byte[8];
            VarInt.TryWrite(buffer, value, length, out int written);
            return VarInt.TryRead(buffer[..written], out ulong decoded, out int read) && decoded == value && read == length;
        }).QuickCheckThrowOnFailure();
    }
}
