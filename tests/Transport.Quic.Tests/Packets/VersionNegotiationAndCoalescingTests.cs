using Transport.Core.Wire;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Packets;

public class VersionNegotiationAndCoalescingTests
{
    [Fact]
    public void Version_negotiation_layout_and_round_trip()
    {
        byte[] dcid = TestGen.RandomBytes(5, 255); // RFC 8999: up to 255 bytes
        byte[] scid = TestGen.Hex("0102");
        uint[] versions = [QuicVersion.Version1, QuicVersion.Version2, 0x0a1a2a3a];
        var buffer = new byte[400];
        Assert.True(VersionNegotiationPacket.TryWrite(buffer, dcid, scid, versions, 0xff, out int n));
        Assert.Equal(VersionNegotiationPacket.GetLength(255, 2, 3), n);
        // First byte: Header Form and (RFC 9000 §17.2.1 SHOULD) 0x40 set; then Version 0, DCID, SCID, versions.
        Assert.Equal(0xff, buffer[0]);
        Assert.Equal(TestGen.Hex("00000000 ff"), buffer.AsSpan(1, 5).ToArray());
        Assert.Equal(TestGen.Hex("02 0102 00000001 6b3343cf 0a1a2a3a"), buffer.AsSpan(6 + 255, n - 6 - 255).ToArray());

        Assert.True(VersionNegotiationPacket.TryParse(buffer.AsSpan(0, n), out VersionNegotiationPacket vn));
        Assert.Equal(dcid, vn.DestinationConnectionId.ToArray());
        Assert.Equal(scid, vn.SourceConnectionId.ToArray());
        Assert.Equal(3, vn.VersionCount);
        Assert.Equal(QuicVersion.Version2, vn.GetVersion(1));
        Assert.True(vn.Contains(0x0a1a2a3a));
        Assert.False(vn.Contains(0x00000002));
        Assert.True(InvariantHeader.TryParse(buffer.AsSpan(0, n), 8, out InvariantHeader ih));
        Assert.True(ih.IsVersionNegotiation);

        Assert.False(VersionNegotiationPacket.TryParse(buffer.AsSpan(0, n - 1), out _)); // not a multiple of 4
        Assert.False(VersionNegotiationPacket.TryParse(buffer.AsSpan(0, n - 12), out _)); // no versions
        Assert.False(LongHeader.TryParse(buffer.AsSpan(0, n), out _));
    }

    private static byte[] LongPacket(PacketType type, byte[] dcid, int totalLength, byte fill)
    {
        var packet = new byte[totalLength];
        Array.Fill(packet, fill);
        Assert.True(LongHeaderBuilder.TryWrite(packet, type, QuicVersion.Version1, dcid, [9, 9], [], 0, 1, out PacketHeaderLayout layout));
        LongHeaderBuilder.WriteLength(packet, layout, totalLength);
        return packet;
    }

    [Fact]
    public void Coalesced_datagram_splits_on_length_fields()
    {
        byte[] dcid = TestGen.Hex("0102030405060708");
        byte[] initial = LongPacket(PacketType.Initial, dcid, 300, 0xaa);
        byte[] handshake = LongPacket(PacketType.Handshake, dcid, 200, 0xbb);
        byte[] shortPacket = [0x41, .. dcid, 0x00, 0xcc, 0xcc, 0xcc];
        byte[] datagram = [.. initial, .. handshake, .. shortPacket];

        var reader = new CoalescedPacketReader(datagram, 8);
        Assert.True(reader.TryReadNext(out ReadOnlySpan<byte> p));
        Assert.Equal(initial, p.ToArray());
        Assert.True(reader.TryReadNext(out p));
        Assert.Equal(handshake, p.ToArray());
        Assert.True(reader.TryReadNext(out p));
        Assert.Equal(shortPacket, p.ToArray());
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(CoalescedPacketStopReason.None, reader.StopReason);
    }

    [Fact]
    public void Coalesced_packets_with_another_connection_id_are_ignored()
    {
        byte[] a = LongPacket(PacketType.Initial, TestGen.Hex("0102030405060708"), 100, 0);
        byte[] b = LongPacket(PacketType.Handshake, TestGen.Hex("1112131415161718"), 100, 0);
        var reader = new CoalescedPacketReader([.. a, .. b], 8);
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(CoalescedPacketStopReason.ConnectionIdMismatch, reader.StopReason);
    }

    [Fact]
    public void Trailing_zeros_after_a_packet_stop_as_malformed()
    {
        byte[] a = LongPacket(PacketType.Initial, TestGen.Hex("0102030405060708"), 100, 0);
        var reader = new CoalescedPacketReader([.. a, 0, 0, 0, 0], 8);
        Assert.True(reader.TryReadNext(out ReadOnlySpan<byte> p));
        Assert.Equal(100, p.Length);
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(CoalescedPacketStopReason.Malformed, reader.StopReason);
    }

    [Fact]
    public void Initial_datagram_padding_rule()
    {
        Assert.Equal(1200, InitialDatagramPadding.MinimumDatagramSize);
        Assert.True(InitialDatagramPadding.MustPad(isClient: true, hasAckElicitingInitial: false));
        Assert.True(InitialDatagramPadding.MustPad(isClient: false, hasAckElicitingInitial: true));
        Assert.False(InitialDatagramPadding.MustPad(isClient: false, hasAckElicitingInitial: false));
        Assert.Equal(1200 - 300, InitialDatagramPadding.GetPaddingLength(300));
        Assert.Equal(0, InitialDatagramPadding.GetPaddingLength(1300));
        Assert.False(InitialDatagramPadding.IsLargeEnough(1199));
        Assert.True(InitialDatagramPadding.IsLargeEnough(1200));
    }

    [Fact]
    public void Mutated_datagrams_never_throw_from_packet_parsers()
    {
        byte[] dcid = TestGen.Hex("0102030405060708");
        var vn = new byte[100];
        VersionNegotiationPacket.TryWrite(vn, dcid, [1, 2], [QuicVersion.Version1], 0, out int vnLength);
        var retry = new byte[100];
        RetryPacket.TryWrite(retry, QuicVersion.Version1, dcid, [1, 2, 3], "tok"u8, 0, out int tagOffset);
        byte[][] corpus =
        [
            [.. LongPacket(PacketType.Initial, dcid, 300, 0xaa), .. LongPacket(PacketType.Handshake, dcid, 60, 0xbb), 0x41, .. dcid, 1, 2, 3],
            LongPacket(PacketType.ZeroRtt, dcid, 80, 1),
            vn.AsSpan(0, vnLength).ToArray(),
            retry.AsSpan(0, tagOffset + 16).ToArray(),
            TestGen.Hex("c300000001088394c8f03e5157080000449e00000002"),
            [0x41, .. dcid, 7, 7, 7, 7],
        ];
        var random = new Random(77);
        int packets = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] input = Mutator.Mutate(corpus[random.Next(corpus.Length)], random);
            var reader = new CoalescedPacketReader(input, 8);
            int consumed = 0;
            while (reader.TryReadNext(out ReadOnlySpan<byte> p))
            {
                Assert.True(p.Length > 0);
                consumed += p.Length;
                packets++;
                if (LongHeader.TryParse(p, out LongHeader h) && h.Type != PacketType.Retry)
                    Assert.True(h.PacketNumberOffset <= h.PacketLength && h.PacketLength <= p.Length);
                ShortHeader.TryParse(p, 8, out _);
            }
            Assert.True(consumed <= input.Length);
            InvariantHeader.TryParse(input, random.Next(0, 30), out _);
            if (VersionNegotiationPacket.TryParse(input, out VersionNegotiationPacket v))
                for (int k = 0; k < v.VersionCount; k++) _ = v.GetVersion(k);
            RetryPacket.TryParse(input, out _);
        }
        Assert.True(packets > 1000);
    }
}
