using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Packets;

public class PacketHeaderTests
{
    private static readonly byte[] ClientDcid = TestGen.Hex("8394c8f03e515708");
    private static readonly byte[] ServerScid = TestGen.Hex("f067a5502a4262b5");

    [Fact]
    public void Rfc9001_A2_client_initial_header_parses()
    {
        // Unprotected header of RFC 9001 A.2; Length 0x049e = 1182, so the packet is 1200 bytes.
        byte[] header = TestGen.Hex("c300000001088394c8f03e5157080000449e00000002");
        var packet = new byte[1200];
        header.CopyTo(packet, 0);
        Assert.True(LongHeader.TryParse(packet, out LongHeader h));
        Assert.Equal(PacketType.Initial, h.Type);
        Assert.Equal(QuicVersion.Version1, h.Version);
        Assert.Equal(ClientDcid, h.DestinationConnectionId.ToArray());
        Assert.True(h.SourceConnectionId.IsEmpty);
        Assert.True(h.Token.IsEmpty);
        Assert.Equal(1182UL, h.Length);
        Assert.Equal(16, h.LengthOffset);
        Assert.Equal(18, h.PacketNumberOffset);
        Assert.Equal(1200, h.PacketLength);
        Assert.Equal(4, PacketHeaderBits.GetPacketNumberLength(h.FirstByte));
        Assert.True(PacketHeaderBits.AreReservedBitsZero(h.FirstByte));
        Assert.Equal(2UL, PacketNumber.ReadTruncated(packet.AsSpan(h.PacketNumberOffset), 4));
    }

    [Fact]
    public void Rfc9001_A2_protected_header_parses_the_same_fields()
    {
        byte[] header = TestGen.Hex("c000000001088394c8f03e5157080000449e7b9aec34");
        var packet = new byte[1200];
        header.CopyTo(packet, 0);
        Assert.True(LongHeader.TryParse(packet, out LongHeader h));
        Assert.Equal(PacketType.Initial, h.Type);
        Assert.Equal(18, h.PacketNumberOffset);
        Assert.Equal(1200, h.PacketLength);
    }

    [Fact]
    public void Rfc9001_A2_client_initial_header_builds_byte_for_byte()
    {
        var packet = new byte[1200];
        Assert.True(LongHeaderBuilder.TryWrite(packet, PacketType.Initial, QuicVersion.Version1, ClientDcid, [], [], 2, 4, out PacketHeaderLayout layout));
        Assert.Equal(new PacketHeaderLayout(16, 2, 18, 4), layout);
        Assert.Equal(22, layout.HeaderLength);
        LongHeaderBuilder.WriteLength(packet, layout, 1200);
        Assert.Equal(TestGen.Hex("c300000001088394c8f03e5157080000449e00000002"), packet.AsSpan(0, 22).ToArray());
    }

    [Fact]
    public void Rfc9001_A3_server_initial_header_builds_and_parses()
    {
        byte[] expected = TestGen.Hex("c1000000010008f067a5502a4262b50040750001");
        var packet = new byte[135];
        Assert.True(LongHeaderBuilder.TryWrite(packet, PacketType.Initial, QuicVersion.Version1, [], ServerScid, [], 1, 2, out PacketHeaderLayout layout));
        LongHeaderBuilder.WriteLength(packet, layout, 135);
        Assert.Equal(expected, packet.AsSpan(0, expected.Length).ToArray());

        Assert.True(LongHeader.TryParse(packet, out LongHeader h));
        Assert.True(h.DestinationConnectionId.IsEmpty);
        Assert.Equal(ServerScid, h.SourceConnectionId.ToArray());
        Assert.Equal(117UL, h.Length);
        Assert.Equal(18, h.PacketNumberOffset);
        Assert.Equal(135, h.PacketLength);
        Assert.Equal(2, PacketHeaderBits.GetPacketNumberLength(h.FirstByte));
    }

    [Fact]
    public void Rfc9001_A4_retry_parses_and_builds()
    {
        byte[] retryBytes = TestGen.Hex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
        Assert.True(RetryPacket.TryParse(retryBytes, out RetryPacket retry));
        Assert.Equal(QuicVersion.Version1, retry.Version);
        Assert.True(retry.DestinationConnectionId.IsEmpty);
        Assert.Equal(ServerScid, retry.SourceConnectionId.ToArray());
        Assert.Equal("token"u8.ToArray(), retry.Token.ToArray());
        Assert.Equal(TestGen.Hex("04a265ba2eff4d829058fb3f0f2496ba"), retry.IntegrityTag.ToArray());
        Assert.Equal(retryBytes.Length - 16, retry.PacketWithoutTag.Length);

        var built = new byte[retryBytes.Length];
        Assert.True(RetryPacket.TryWrite(built, QuicVersion.Version1, [], ServerScid, "token"u8, 0x0f, out int tagOffset));
        Assert.Equal(retryBytes.Length - 16, tagOffset);
        retry.IntegrityTag.CopyTo(built.AsSpan(tagOffset));
        Assert.Equal(retryBytes, built);

        // The pseudo-packet: ODCID length, ODCID, then the Retry without its tag (RFC 9001 §5.8).
        var pseudo = new byte[100];
        Assert.True(RetryPacket.TryWritePseudoPacket(pseudo, ClientDcid, retry.PacketWithoutTag, out int n));
        Assert.Equal(TestGen.Hex("08 8394c8f03e515708 ff000000010008f067a5502a4262b5746f6b656e"), pseudo.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void Retry_with_empty_token_is_discarded()
    {
        byte[] retryBytes = TestGen.Hex("ff000000010008f067a5502a4262b504a265ba2eff4d829058fb3f0f2496ba");
        Assert.False(RetryPacket.TryParse(retryBytes, out _));
    }

    [Fact]
    public void Rfc9001_A5_short_header_builds_and_parses()
    {
        var packet = new byte[21];
        Assert.True(ShortHeaderBuilder.TryWrite(packet, [], spinBit: false, keyPhase: false, 654360564, 3, out PacketHeaderLayout layout));
        Assert.Equal(TestGen.Hex("4200bff4"), packet.AsSpan(0, 4).ToArray());
        Assert.Equal(1, layout.PacketNumberOffset);
        Assert.Equal(-1, layout.LengthOffset);
        Assert.True(ShortHeader.TryParse(packet, 0, out ShortHeader h));
        Assert.Equal(1, h.PacketNumberOffset);
        Assert.Equal(3, PacketHeaderBits.GetPacketNumberLength(h.FirstByte));
        Assert.False(PacketHeaderBits.GetKeyPhase(h.FirstByte));
        Assert.False(h.SpinBit);
    }

    [Fact]
    public void Short_header_bits()
    {
        var packet = new byte[30];
        Assert.True(ShortHeaderBuilder.TryWrite(packet, ClientDcid, spinBit: true, keyPhase: true, 7, 1, out _));
        Assert.Equal(0x40 | 0x20 | 0x04, packet[0]);
        Assert.True(ShortHeader.TryParse(packet, 8, out ShortHeader h));
        Assert.Equal(ClientDcid, h.DestinationConnectionId.ToArray());
        Assert.True(h.SpinBit);
        Assert.True(PacketHeaderBits.GetKeyPhase(h.FirstByte));
        Assert.Equal(9, h.PacketNumberOffset);
        Assert.True(PacketHeaderBits.AreReservedBitsZero(packet[0]));
        Assert.False(PacketHeaderBits.AreReservedBitsZero((byte)(packet[0] | 0x08)));
        Assert.False(PacketHeaderBits.AreReservedBitsZero(0xc4)); // long header reserved bit
        Assert.Equal(0x1f, PacketHeaderBits.GetHeaderProtectionMask(0x40));
        Assert.Equal(0x0f, PacketHeaderBits.GetHeaderProtectionMask(0xc0));
        packet[0] &= 0xbf; // Fixed Bit 0: discarded
        Assert.False(ShortHeader.TryParse(packet, 8, out _));
    }

    [Theory]
    [InlineData(PacketType.Initial, 0xc0)]
    [InlineData(PacketType.ZeroRtt, 0xd0)]
    [InlineData(PacketType.Handshake, 0xe0)]
    public void Long_header_types_round_trip_with_token_only_on_initial(PacketType type, byte firstByteBase)
    {
        byte[] token = type == PacketType.Initial ? TestGen.RandomBytes(3, 70) : [];
        var packet = new byte[300];
        Assert.True(LongHeaderBuilder.TryWrite(packet, type, QuicVersion.Version1, ClientDcid, ServerScid, token, 0x1234, 2, out PacketHeaderLayout layout, lengthFieldLength: 4));
        Assert.Equal(firstByteBase | 0x01, packet[0]);
        LongHeaderBuilder.WriteLength(packet, layout, 250);
        Assert.True(LongHeader.TryParse(packet, out LongHeader h));
        Assert.Equal(type, h.Type);
        Assert.Equal(token, h.Token.ToArray());
        Assert.Equal(layout.LengthOffset, h.LengthOffset);
        Assert.Equal(layout.PacketNumberOffset, h.PacketNumberOffset);
        Assert.Equal(250, h.PacketLength);
        Assert.Equal(0x1234UL, PacketNumber.ReadTruncated(packet.AsSpan(h.PacketNumberOffset), 2));
    }

    [Fact]
    public void Version2_uses_its_own_type_bits()
    {
        // RFC 9369 Appendix A: the v2 client Initial header.
        var packet = new byte[1200];
        Assert.True(LongHeaderBuilder.TryWrite(packet, PacketType.Initial, QuicVersion.Version2, ClientDcid, [], [], 2, 4, out PacketHeaderLayout layout));
        LongHeaderBuilder.WriteLength(packet, layout, 1200);
        Assert.Equal(TestGen.Hex("d36b3343cf088394c8f03e5157080000449e00000002"), packet.AsSpan(0, 22).ToArray());
        Assert.True(LongHeader.TryParse(packet, out LongHeader h));
        Assert.Equal(PacketType.Initial, h.Type);
        Assert.True(RetryPacket.TryParse(TestGen.Hex("cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6"), out RetryPacket retry));
        Assert.Equal("token"u8.ToArray(), retry.Token.ToArray());
    }

    [Theory]
    [InlineData("c3 00000001 08 8394c8f03e515708 00 00 449e")]     // Length runs past the datagram
    [InlineData("83 00000001 08 8394c8f03e515708 00 00 01 00")]    // Fixed Bit 0
    [InlineData("c3 00000002 08 8394c8f03e515708 00 00 01 00")]    // unknown version
    [InlineData("c3 00000001 15 000102030405060708090a0b0c0d0e0f1011121314 00 00 01 00")] // 21-byte DCID
    [InlineData("c3 00000001 08 8394c8f03e5157")]                  // truncated DCID
    [InlineData("c3 00000001 00 00 05 0102 01 00")]                // token runs past the end
    [InlineData("43 00000001")]                                    // short header
    public void Invalid_long_headers_are_rejected(string hex) => Assert.False(LongHeader.TryParse(TestGen.Hex(hex), out _));

    [Fact]
    public void Length_placeholder_too_small_throws()
    {
        var packet = new byte[20000];
        Assert.True(LongHeaderBuilder.TryWrite(packet, PacketType.Handshake, QuicVersion.Version1, ClientDcid, [], [], 1, 1, out PacketHeaderLayout layout));
        Assert.Throws<ArgumentOutOfRangeException>(() => LongHeaderBuilder.WriteLength(packet, layout, 16384 + layout.PacketNumberOffset));
        Assert.Throws<ArgumentException>(() => LongHeaderBuilder.TryWrite(packet, PacketType.Handshake, QuicVersion.Version1, ClientDcid, [], [1], 1, 1, out _));
        Assert.Throws<ArgumentException>(() => LongHeaderBuilder.TryWrite(packet, PacketType.Retry, QuicVersion.Version1, ClientDcid, [], [], 1, 1, out _));
        Assert.False(LongHeaderBuilder.TryWrite(packet.AsSpan(0, 10), PacketType.Handshake, QuicVersion.Version1, ClientDcid, [], [], 1, 1, out _));
    }

    [Fact]
    public void Invariant_header_reads_long_connection_ids_of_unknown_versions()
    {
        byte[] dcid = TestGen.RandomBytes(1, 255);
        byte[] scid = TestGen.RandomBytes(2, 200);
        byte[] packet = [0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 255, .. dcid, 200, .. scid, 1, 2, 3];
        Assert.True(InvariantHeader.TryParse(packet, 8, out InvariantHeader h));
        Assert.True(h.IsLongHeader);
        Assert.Equal(0x1a2a3a4aU, h.Version);
        Assert.True(QuicVersion.IsReservedForNegotiation(h.Version));
        Assert.False(QuicVersion.IsSupported(h.Version));
        Assert.Equal(dcid, h.DestinationConnectionId.ToArray());
        Assert.Equal(scid, h.SourceConnectionId.ToArray());
        Assert.False(InvariantHeader.TryParse(packet.AsSpan(0, 200), 8, out _));

        Assert.True(InvariantHeader.TryParse(TestGen.Hex("41 0102030405060708 99"), 8, out h));
        Assert.False(h.IsLongHeader);
        Assert.Equal(TestGen.Hex("0102030405060708"), h.DestinationConnectionId.ToArray());
        Assert.False(InvariantHeader.TryParse(TestGen.Hex("41 01020304"), 8, out _));
    }

    [Fact]
    public void Built_long_headers_parse_back_to_their_fields() => TestGen.Check(
        from type in Gen.Elements(PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake)
        from version in Gen.Elements(QuicVersion.Version1, QuicVersion.Version2)
        from dcid in TestGen.Bytes(0, 20)
        from scid in TestGen.Bytes(0, 20)
        from token in TestGen.Bytes(0, 100)
        from pnLength in Gen.Choose(1, 4)
        from pn in TestGen.UpTo(uint.MaxValue)
        from lengthField in Gen.Elements(2, 4, 8)
        from payload in Gen.Choose(20, 1400)
        select (type, version, dcid, scid, token: type == PacketType.Initial ? token : [], pnLength, pn, lengthField, payload),
        x =>
        {
            var packet = new byte[1600];
            Assert.True(LongHeaderBuilder.TryWrite(packet, x.type, x.version, x.dcid, x.scid, x.token, x.pn, x.pnLength, out PacketHeaderLayout layout, x.lengthField));
            Assert.Equal(LongHeaderBuilder.GetHeaderLength(x.type, x.dcid.Length, x.scid.Length, x.token.Length, x.pnLength, x.lengthField), layout.HeaderLength);
            int total = layout.HeaderLength + x.payload;
            LongHeaderBuilder.WriteLength(packet, layout, total);
            Assert.True(LongHeader.TryParse(packet.AsSpan(0, total + 7), out LongHeader h)); // followed by other bytes
            return h.Type == x.type && h.Version == x.version && h.DestinationConnectionId.SequenceEqual(x.dcid)
                && h.SourceConnectionId.SequenceEqual(x.scid) && h.Token.SequenceEqual(x.token)
                && h.PacketNumberOffset == layout.PacketNumberOffset && h.LengthOffset == layout.LengthOffset
                && h.PacketLength == total && PacketHeaderBits.GetPacketNumberLength(h.FirstByte) == x.pnLength
                && PacketNumber.ReadTruncated(packet.AsSpan(h.PacketNumberOffset), x.pnLength) == (x.pn & ((1UL << (8 * x.pnLength)) - 1));
        });
}
