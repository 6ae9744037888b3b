using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

// RFC 9000 Appendix A.3.
public class PacketNumberDecoderTests
{
    [Fact]
    public void Rfc_example_decodes()
    {
        Assert.Equal(0xa82f9b32L, PacketNumberDecoder.Decode(0xa82f30ea, 0x9b32, 16));
    }

    [Theory]
    [InlineData(-1, 0, 8, 0)]
    [InlineData(-1, 0xff, 8, 0xff)]
    [InlineData(0xff, 0x00, 8, 0x100)]
    [InlineData(0x17f, 0x00, 8, 0x200)] // expected 0x180: 0x200 is within +128, 0x100 is not above -128
    [InlineData(0x180, 0x7f, 8, 0x17f)]
    [InlineData(0x1000, 0xf0, 8, 0xff0)]
    [InlineData(654360563, 0x00bff4, 24, 654360564)]
    [InlineData((1L << 62) - 2, 0xff, 8, (1L << 62) - 1)]
    [InlineData((1L << 62) - 2, 0x00, 8, (1L << 62) - 256)] // no wrap above 2^62
    public void Decodes_to_the_nearest_candidate(long largest, long truncated, int bits, long expected)
    {
        Assert.Equal(expected, PacketNumberDecoder.Decode(largest, truncated, bits));
    }

    [Fact]
    public void Property_any_packet_number_within_the_half_window_is_recovered()
    {
        var gen =
            from bytes in Gen.Choose(1, 4)
            from hi in Gen.Choose(0, int.MaxValue)
            from lo in Gen.Choose(0, int.MaxValue)
            from offset in Gen.Choose(0, int.MaxValue)
            select (bytes, pn: (((long)hi << 31) | (uint)lo) & ((1L << 62) - 1), offset);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            int bits = t.bytes * 8;
            long halfWindow = 1L << (bits - 1);
            // pn - expected in (-halfWindow, halfWindow]: expected = pn - d with d in [-(halfWindow-1), halfWindow].
            long d = (t.offset % (2 * halfWindow)) - (halfWindow - 1);
            long largest = t.pn - d - 1;
            if (largest < -1 || largest >= (1L << 62) - 1) return true;
            return PacketNumberDecoder.Decode(largest, t.pn & ((1L << bits) - 1), bits) == t.pn;
        }).QuickCheckThrowOnFailure();
    }
}
