using System.Buffers.Binary;

namespace Transport.Quic.Packets;

/// <summary>
/// The version-independent fields of a packet (RFC 8999 §5), for routing before the version is known: the header
/// form, the version and the connection IDs. Long-header connection IDs may be up to 255 bytes here (RFC 8999 §5.1),
/// so an endpoint can answer an unknown version with Version Negotiation. A view over the datagram; allocates nothing.
/// </summary>
public readonly ref struct InvariantHeader
{
    /// <summary>The longest connection ID the invariants allow (RFC 8999 §5.1).</summary>
    public const int MaxConnectionIdLength = 255;

    private InvariantHeader(bool isLong, uint version, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid)
    {
        IsLongHeader = isLong;
        Version = version;
        DestinationConnectionId = dcid;
        SourceConnectionId = scid;
    }

    /// <summary>True for a long header.</summary>
    public bool IsLongHeader { get; }

    /// <summary>The Version field (long headers; 0 for Version Negotiation and for short headers).</summary>
    public uint Version { get; }

    /// <summary>The Destination Connection ID.</summary>
    public ReadOnlySpan<byte> DestinationConnectionId { get; }

    /// <summary>The Source Connection ID (long headers only).</summary>
    public ReadOnlySpan<byte> SourceConnectionId { get; }

    /// <summary>True for a Version Negotiation packet (long header, version 0).</summary>
    public bool IsVersionNegotiation => IsLongHeader && Version == QuicVersion.Negotiation;

    /// <summary>
    /// Parses the invariant fields at the start of <paramref name="packet"/>. A short header's Destination Connection
    /// ID has no length on the wire: <paramref name="shortHeaderConnectionIdLength"/> is the length the endpoint
    /// issues. False when the bytes are too short for the fields they announce.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, int shortHeaderConnectionIdLength, out InvariantHeader header)
    {
        header = default;
        if (packet.IsEmpty) return false;
        if (!PacketHeaderBits.IsLongHeader(packet[0]))
        {
            if ((uint)shortHeaderConnectionIdLength > MaxConnectionIdLength || packet.Length < 1 + shortHeaderConnectionIdLength) return false;
            header = new InvariantHeader(false, 0, packet.Slice(1, shortHeaderConnectionIdLength), default);
            return true;
        }
        // Long header: first byte, Version (32), DCID Len (8), DCID, SCID Len (8), SCID (RFC 8999 §5.1).
        if (packet.Length < 7) return false;
        uint version = BinaryPrimitives.ReadUInt32BigEndian(packet.Slice(1));
        int dcidLength = packet[5];
        if (packet.Length < 6 + dcidLength + 1) return false;
        int scidLength = packet[6 + dcidLength];
        if (packet.Length < 7 + dcidLength + scidLength) return false;
        header = new InvariantHeader(true, version, packet.Slice(6, dcidLength), packet.Slice(7 + dcidLength, scidLength));
        return true;
    }
}
