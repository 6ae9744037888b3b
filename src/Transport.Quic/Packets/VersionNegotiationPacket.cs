using System.Buffers.Binary;
using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>
/// A Version Negotiation packet (RFC 8999 §6, RFC 9000 §17.2.1): long header form, Version 0, connection IDs of up to
/// 255 bytes, then a list of 32-bit supported versions. Parse with <see cref="TryParse"/> (a view; no allocation),
/// build with <see cref="TryWrite"/>.
/// </summary>
public readonly ref struct VersionNegotiationPacket
{
    private readonly ReadOnlySpan<byte> _versions;

    private VersionNegotiationPacket(ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid, ReadOnlySpan<byte> versions)
    {
        DestinationConnectionId = dcid;
        SourceConnectionId = scid;
        _versions = versions;
    }

    /// <summary>The Destination Connection ID (the client's Source Connection ID echoed).</summary>
    public ReadOnlySpan<byte> DestinationConnectionId { get; }

    /// <summary>The Source Connection ID (the client's Destination Connection ID echoed).</summary>
    public ReadOnlySpan<byte> SourceConnectionId { get; }

    /// <summary>The number of versions listed.</summary>
    public int VersionCount => _versions.Length / 4;

    /// <summary>The <paramref name="index"/>th listed version.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the list.</exception>
    public uint GetVersion(int index)
    {
        if ((uint)index >= (uint)VersionCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"The packet lists {VersionCount} versions.");
        return BinaryPrimitives.ReadUInt32BigEndian(_versions.Slice(index * 4));
    }

    /// <summary>
    /// True when <paramref name="version"/> is listed. A client discards a Version Negotiation packet that lists the
    /// version it attempted (RFC 9000 §6.2).
    /// </summary>
    public bool Contains(uint version)
    {
        for (int i = 0; i < _versions.Length; i += 4)
            if (BinaryPrimitives.ReadUInt32BigEndian(_versions.Slice(i)) == version) return true;
        return false;
    }

    /// <summary>
    /// Parses a Version Negotiation packet (the whole datagram: it cannot be coalesced). False when it is not one or
    /// is malformed: truncated connection IDs, no versions, or a version list that is not a multiple of 4 bytes.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out VersionNegotiationPacket result)
    {
        result = default;
        var r = new SpanReader(packet);
        if (!r.TryReadByte(out byte first) || (first & PacketHeaderBits.HeaderForm) == 0) return false;
        if (!r.TryReadUInt32(out uint version) || version != QuicVersion.Negotiation) return false;
        if (!r.TryReadUInt8LengthPrefixed(out ReadOnlySpan<byte> dcid) || !r.TryReadUInt8LengthPrefixed(out ReadOnlySpan<byte> scid)) return false;
        if (r.Remaining == 0 || r.Remaining % 4 != 0) return false;
        result = new VersionNegotiationPacket(dcid, scid, r.RemainingSpan);
        return true;
    }

    /// <summary>The size of a Version Negotiation packet with these fields.</summary>
    public static int GetLength(int destinationConnectionIdLength, int sourceConnectionIdLength, int versionCount) =>
        1 + 4 + 1 + destinationConnectionIdLength + 1 + sourceConnectionIdLength + 4 * versionCount;

    /// <summary>
    /// Writes a Version Negotiation packet. The first byte is 0x80 | 0x40 | the low six bits of
    /// <paramref name="unusedBits"/> (RFC 9000 §17.2.1: arbitrary, with 0x40 set where QUIC shares a port with other
    /// protocols). The connection IDs echo the client's: Destination = the client's Source, and vice versa.
    /// </summary>
    /// <exception cref="ArgumentException">A connection ID over 255 bytes or an empty version list.</exception>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> destinationConnectionId, ReadOnlySpan<byte> sourceConnectionId,
        ReadOnlySpan<uint> supportedVersions, byte unusedBits, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destinationConnectionId.Length > InvariantHeader.MaxConnectionIdLength || sourceConnectionId.Length > InvariantHeader.MaxConnectionIdLength)
            throw new ArgumentException("A connection ID is at most 255 bytes (RFC 8999 §5.1).", nameof(destinationConnectionId));
        if (supportedVersions.IsEmpty)
            throw new ArgumentException("A Version Negotiation packet lists at least one version.", nameof(supportedVersions));
        int length = GetLength(destinationConnectionId.Length, sourceConnectionId.Length, supportedVersions.Length);
        if (destination.Length < length) return false;
        var w = new SpanWriter(destination);
        w.WriteByte((byte)(PacketHeaderBits.HeaderForm | PacketHeaderBits.FixedBit | (unusedBits & 0x3f)));
        w.WriteUInt32(QuicVersion.Negotiation);
        w.TryWriteUInt8LengthPrefixed(destinationConnectionId);
        w.TryWriteUInt8LengthPrefixed(sourceConnectionId);
        foreach (uint v in supportedVersions) w.WriteUInt32(v);
        bytesWritten = w.Position;
        return true;
    }
}
