using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Packets;

public class PacketNumberTests
{
    [Fact]
    public void Rfc9000_A3_decoding_example()
    {
        // Largest processed 0xa82f30ea, a 16-bit packet number 0x9b32 decodes to 0xa82f9b32.
        Assert.Equal(0xa82f9b32UL, PacketNumber.Decode(0xa82f30ea, 0x9b32, 2));
    }

    [Fact]
    public void Rfc9000_A2_encoding_examples()
    {
        // Acknowledged 0xabe8b3: sending 0xac5c02 needs 16 bits, sending 0xace8fe needs 24 bits.
        Assert.Equal(2, PacketNumber.GetEncodedLength(0xac5c02, 0xabe8b3));
        Assert.Equal(3, PacketNumber.GetEncodedLength(0xace8fe, 0xabe8b3));
    }

    [Theory]
    [InlineData(0UL, null, 1)]
    [InlineData(127UL, null, 1)]     // 128 unacknowledged: 2*128 = 256 fits 8 bits
    [InlineData(128UL, null, 2)]     // 129: needs 9 bits
    [InlineData(0x11f2eUL, 0x11f2eUL - 128, 1)]
    [InlineData(0x11f2eUL, 0x11f2eUL - 129, 2)] // the quiche #2180 boundary: 129 outstanding needs 2 bytes
    [InlineData((1UL << 31) - 1, null, 4)]
    public void Encoded_length_boundaries(ulong pn, ulong? acked, int expected) =>
        Assert.Equal(expected, PacketNumber.GetEncodedLength(pn, acked));

    [Fact]
    public void Decoding_with_no_packet_received_yet_starts_at_zero()
    {
        Assert.Equal(0UL, PacketNumber.Decode(null, 0, 1));
        Assert.Equal(5UL, PacketNumber.Decode(null, 5, 4));
    }

    [Fact]
    public void Decoding_near_the_top_of_the_space_does_not_overflow()
    {
        ulong max = PacketNumber.MaxValue;
        Assert.Equal(max, PacketNumber.Decode(max - 1, max & 0xff, 1));
    }

    [Fact]
    public void Encode_then_decode_recovers_the_packet_number() => TestGen.Check(
        from largestAcked in TestGen.UpTo(1UL << 61)
        from ahead in Gen.Choose(1, int.MaxValue)
        from received in Gen.Choose(0, 1 << 20)
        select (largestAcked, pn: largestAcked + (ulong)ahead, received),
        x =>
        {
            int length = PacketNumber.GetEncodedLength(x.pn, x.largestAcked);
            Span<byte> buffer = stackalloc byte[4];
            Assert.True(PacketNumber.TryWrite(buffer, x.pn, length));
            ulong truncated = PacketNumber.ReadTruncated(buffer, length);
            // The receiver has processed some packet between the sender's largest acknowledged and pn - 1.
            ulong largestReceived = x.largestAcked + (ulong)x.received % (x.pn - x.largestAcked);
            return PacketNumber.Decode(largestReceived, truncated, length) == x.pn;
        }, 1000);

    [Fact]
    public void Truncated_bytes_are_big_endian_low_bytes()
    {
        var buffer = new byte[4];
        Assert.True(PacketNumber.TryWrite(buffer, 654360564, 3)); // RFC 9001 A.5: 0x2700bff4 on 3 bytes
        Assert.Equal(TestGen.Hex("00bff4"), buffer.AsSpan(0, 3).ToArray());
        Assert.Equal(0x00bff4UL, PacketNumber.ReadTruncated(buffer, 3));
        Assert.False(PacketNumber.TryWrite(buffer.AsSpan(0, 1), 5, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketNumber.TryWrite(buffer, 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketNumber.GetEncodedLength(10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketNumber.GetEncodedLength((1UL << 31) + 1, null));
    }
}
