using System.Buffers.Binary;
using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>
/// A parsed, still header-protected long header of QUIC v1 or v2 (RFC 9000 §17.2; RFC 9369): type, version, connection
/// IDs, the Initial token, the Length field, and where the Packet Number starts and the packet ends, which is what
/// header protection removal and coalesced-packet splitting need. A view over the datagram; allocates nothing.
/// The packet number length and reserved bits are protected: read them from the first byte only after removing
/// header protection (<see cref="PacketHeaderBits"/>).
/// </summary>
public readonly ref struct LongHeader
{
    private LongHeader(byte firstByte, PacketType type, uint version, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid,
        ReadOnlySpan<byte> token, ulong length, int lengthOffset, int packetNumberOffset, int packetLength)
    {
        FirstByte = firstByte;
        Type = type;
        Version = version;
        DestinationConnectionId = dcid;
        SourceConnectionId = scid;
        Token = token;
        Length = length;
        LengthOffset = lengthOffset;
        PacketNumberOffset = packetNumberOffset;
        PacketLength = packetLength;
    }

    /// <summary>The first byte as received (its low four bits are still protected, except for Retry).</summary>
    public byte FirstByte { get; }

    /// <summary>Initial, 0-RTT, Handshake or Retry.</summary>
    public PacketType Type { get; }

    /// <summary>The Version field.</summary>
    public uint Version { get; }

    /// <summary>The Destination Connection ID, 0 to 20 bytes.</summary>
    public ReadOnlySpan<byte> DestinationConnectionId { get; }

    /// <summary>The Source Connection ID, 0 to 20 bytes.</summary>
    public ReadOnlySpan<byte> SourceConnectionId { get; }

    /// <summary>The token of an Initial packet (possibly empty), or the Retry Token of a Retry packet.</summary>
    public ReadOnlySpan<byte> Token { get; }

    /// <summary>The Length field: bytes of Packet Number plus payload (0 for Retry, which has none).</summary>
    public ulong Length { get; }

    /// <summary>Offset of the Length field (-1 for Retry).</summary>
    public int LengthOffset { get; }

    /// <summary>Offset of the Packet Number field (-1 for Retry).</summary>
    public int PacketNumberOffset { get; }

    /// <summary>The bytes this packet occupies in the datagram: <see cref="PacketNumberOffset"/> + <see cref="Length"/>, or the rest of the datagram for Retry.</summary>
    public int PacketLength { get; }

    /// <summary>
    /// Parses the long header at the start of <paramref name="packet"/> (which may continue with coalesced packets).
    /// False for anything that is not a valid v1/v2 Initial, 0-RTT, Handshake or Retry header: short header, Version
    /// Negotiation or unknown version, Fixed Bit 0, a connection ID over 20 bytes, a Length that runs past the datagram,
    /// a Retry shorter than its integrity tag. Such packets are discarded (RFC 9000 §5.2, §12.2, §17.2).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out LongHeader header)
    {
        header = default;
        if (packet.Length < 7) return false;
        byte first = packet[0];
        if ((first & PacketHeaderBits.HeaderForm) == 0 || (first & PacketHeaderBits.FixedBit) == 0) return false;
        uint version = BinaryPrimitives.ReadUInt32BigEndian(packet.Slice(1));
        if (!QuicVersion.IsSupported(version)) return false;
        PacketType type = QuicVersion.GetLongPacketType(first, version);

        var r = new SpanReader(packet);
        r.Skip(5);
        if (!r.TryReadUInt8LengthPrefixed(out ReadOnlySpan<byte> dcid) || dcid.Length > ConnectionId.MaxLength) return false;
        if (!r.TryReadUInt8LengthPrefixed(out ReadOnlySpan<byte> scid) || scid.Length > ConnectionId.MaxLength) return false;

        if (type == PacketType.Retry)
        {
            // RFC 9000 §17.2.5: Retry Token (..), Retry Integrity Tag (128).
            int tokenLength = r.Remaining - RetryPacket.IntegrityTagLength;
            if (tokenLength < 0) return false;
            header = new LongHeader(first, type, version, dcid, scid, r.RemainingSpan.Slice(0, tokenLength), 0, -1, -1, packet.Length);
            return true;
        }

        ReadOnlySpan<byte> token = default;
        if (type == PacketType.Initial && !r.TryReadVarIntLengthPrefixed(out token)) return false; // RFC 9000 §17.2.2
        int lengthOffset = r.Position;
        if (!r.TryReadVarInt(out ulong length)) return false;
        if (length > (ulong)r.Remaining) return false; // RFC 9000 §17.2: Length covers Packet Number and Payload
        int pnOffset = r.Position;
        header = new LongHeader(first, type, version, dcid, scid, token, length, lengthOffset, pnOffset, pnOffset + (int)length);
        return true;
    }
}
