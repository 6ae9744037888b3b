using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>
/// A Retry packet (RFC 9000 §17.2.5): long header, Retry Token, and a 16-byte Retry Integrity Tag. This type only lays
/// out and splits the bytes; the tag is computed and checked by packet protection (RFC 9001 §5.8) over the pseudo-packet
/// that <see cref="TryWritePseudoPacket"/> builds. A view; allocates nothing.
/// </summary>
public readonly ref struct RetryPacket
{
    /// <summary>The length of the Retry Integrity Tag (RFC 9001 §5.8).</summary>
    public const int IntegrityTagLength = 16;

    private RetryPacket(uint version, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid, ReadOnlySpan<byte> token,
        ReadOnlySpan<byte> withoutTag, ReadOnlySpan<byte> tag)
    {
        Version = version;
        DestinationConnectionId = dcid;
        SourceConnectionId = scid;
        Token = token;
        PacketWithoutTag = withoutTag;
        IntegrityTag = tag;
    }

    /// <summary>The Version field.</summary>
    public uint Version { get; }

    /// <summary>The Destination Connection ID (the client's Source Connection ID).</summary>
    public ReadOnlySpan<byte> DestinationConnectionId { get; }

    /// <summary>The Source Connection ID the server chose; the client uses it as its new Destination Connection ID.</summary>
    public ReadOnlySpan<byte> SourceConnectionId { get; }

    /// <summary>The Retry Token, never empty (RFC 9000 §17.2.5.2).</summary>
    public ReadOnlySpan<byte> Token { get; }

    /// <summary>The packet up to the tag: the part of the pseudo-packet after the ODCID (RFC 9001 §5.8).</summary>
    public ReadOnlySpan<byte> PacketWithoutTag { get; }

    /// <summary>The 16-byte Retry Integrity Tag.</summary>
    public ReadOnlySpan<byte> IntegrityTag { get; }

    /// <summary>
    /// Parses a Retry packet (the rest of the datagram). False when it is not a v1/v2 Retry, or its token is empty
    /// (a client discards such a Retry, RFC 9000 §17.2.5.2).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RetryPacket retry)
    {
        retry = default;
        if (!LongHeader.TryParse(packet, out LongHeader h) || h.Type != PacketType.Retry || h.Token.IsEmpty) return false;
        int tagOffset = packet.Length - IntegrityTagLength;
        retry = new RetryPacket(h.Version, h.DestinationConnectionId, h.SourceConnectionId, h.Token,
            packet.Slice(0, tagOffset), packet.Slice(tagOffset));
        return true;
    }

    /// <summary>The size of a Retry packet with these fields, tag included.</summary>
    public static int GetLength(int destinationConnectionIdLength, int sourceConnectionIdLength, int tokenLength) =>
        1 + 4 + 1 + destinationConnectionIdLength + 1 + sourceConnectionIdLength + tokenLength + IntegrityTagLength;

    /// <summary>
    /// Writes a Retry packet's header and token, leaving 16 bytes at <paramref name="tagOffset"/> for the integrity tag;
    /// the packet's total length is <paramref name="tagOffset"/> + 16. The low four bits of the first byte are
    /// <paramref name="unusedBits"/> (arbitrary, RFC 9000 §17.2.5).
    /// </summary>
    /// <exception cref="ArgumentException">An unsupported version, a connection ID over 20 bytes, or an empty token.</exception>
    public static bool TryWrite(Span<byte> destination, uint version, ReadOnlySpan<byte> destinationConnectionId,
        ReadOnlySpan<byte> sourceConnectionId, ReadOnlySpan<byte> token, byte unusedBits, out int tagOffset)
    {
        tagOffset = 0;
        if (!QuicVersion.IsSupported(version))
            throw new ArgumentException($"Version 0x{version:x8} has no known Retry layout.", nameof(version));
        if (destinationConnectionId.Length > ConnectionId.MaxLength || sourceConnectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException("A QUIC v1 connection ID is at most 20 bytes.", nameof(destinationConnectionId));
        if (token.IsEmpty) throw new ArgumentException("A Retry token is never empty (RFC 9000 §17.2.5.2).", nameof(token));
        if (destination.Length < GetLength(destinationConnectionId.Length, sourceConnectionId.Length, token.Length)) return false;
        var w = new SpanWriter(destination);
        w.WriteByte((byte)(PacketHeaderBits.HeaderForm | PacketHeaderBits.FixedBit
            | QuicVersion.GetLongPacketTypeBits(PacketType.Retry, version) | (unusedBits & 0x0f)));
        w.WriteUInt32(version);
        w.TryWriteUInt8LengthPrefixed(destinationConnectionId);
        w.TryWriteUInt8LengthPrefixed(sourceConnectionId);
        w.WriteBytes(token);
        tagOffset = w.Position;
        return true;
    }

    /// <summary>
    /// Writes the Retry Pseudo-Packet (RFC 9001 §5.8, Figure 8): ODCID Length, the Original Destination Connection ID,
    /// then the Retry packet without its tag. The AEAD's associated data for the integrity tag.
    /// </summary>
    /// <exception cref="ArgumentException">An ODCID over 20 bytes.</exception>
    public static bool TryWritePseudoPacket(Span<byte> destination, ReadOnlySpan<byte> originalDestinationConnectionId,
        ReadOnlySpan<byte> retryWithoutTag, out int bytesWritten)
    {
        bytesWritten = 0;
        if (originalDestinationConnectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException("A QUIC v1 connection ID is at most 20 bytes.", nameof(originalDestinationConnectionId));
        int length = 1 + originalDestinationConnectionId.Length + retryWithoutTag.Length;
        if (destination.Length < length) return false;
        var w = new SpanWriter(destination);
        w.TryWriteUInt8LengthPrefixed(originalDestinationConnectionId);
        w.WriteBytes(retryWithoutTag);
        bytesWritten = length;
        return true;
    }
}
