using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>
/// Builds Initial, 0-RTT and Handshake long headers (RFC 9000 §17.2) in place, ready for packet protection: the Length
/// field is reserved at a fixed size and patched with <see cref="WriteLength"/> once the payload is known, and the
/// returned <see cref="PacketHeaderLayout"/> tells the protection code where the Packet Number sits. Reserved bits are
/// written as 0. Allocates nothing.
/// </summary>
public static class LongHeaderBuilder
{
    /// <summary>The default size of the Length field placeholder: a 2-byte varint, enough for packets up to 16383 bytes.</summary>
    public const int DefaultLengthFieldLength = 2;

    /// <summary>The header length for these fields.</summary>
    public static int GetHeaderLength(PacketType type, int destinationConnectionIdLength, int sourceConnectionIdLength,
        int tokenLength, int packetNumberLength, int lengthFieldLength = DefaultLengthFieldLength) =>
        1 + 4 + 1 + destinationConnectionIdLength + 1 + sourceConnectionIdLength
        + (type == PacketType.Initial ? VarInt.GetLength((ulong)tokenLength) + tokenLength : 0)
        + lengthFieldLength + packetNumberLength;

    /// <summary>
    /// Writes a long header into <paramref name="destination"/> (the start of the packet), with the Length field left
    /// as a placeholder and the <paramref name="packetNumberLength"/> low bytes of <paramref name="packetNumber"/>.
    /// False when the header does not fit.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A type other than Initial, 0-RTT or Handshake; an unsupported version; a connection ID over 20 bytes; a token on
    /// a packet other than Initial; a packet number length not 1 to 4; a Length field size not 1, 2, 4 or 8.
    /// </exception>
    public static bool TryWrite(Span<byte> destination, PacketType type, uint version, ReadOnlySpan<byte> destinationConnectionId,
        ReadOnlySpan<byte> sourceConnectionId, ReadOnlySpan<byte> token, ulong packetNumber, int packetNumberLength,
        out PacketHeaderLayout layout, int lengthFieldLength = DefaultLengthFieldLength)
    {
        layout = default;
        if (type is not (PacketType.Initial or PacketType.ZeroRtt or PacketType.Handshake))
            throw new ArgumentException($"LongHeaderBuilder writes Initial, 0-RTT and Handshake headers, not {type}.", nameof(type));
        if (!QuicVersion.IsSupported(version))
            throw new ArgumentException($"Version 0x{version:x8} has no known long header layout.", nameof(version));
        if (destinationConnectionId.Length > ConnectionId.MaxLength || sourceConnectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException("A QUIC v1 connection ID is at most 20 bytes (RFC 9000 §17.2).", nameof(destinationConnectionId));
        if (type != PacketType.Initial && !token.IsEmpty)
            throw new ArgumentException("Only Initial packets carry a token (RFC 9000 §17.2.2).", nameof(token));
        if (packetNumberLength is < 1 or > 4)
            throw new ArgumentException($"A packet number is 1 to 4 bytes; got {packetNumberLength}.", nameof(packetNumberLength));
        if (lengthFieldLength is not (1 or 2 or 4 or 8))
            throw new ArgumentException($"A varint is 1, 2, 4 or 8 bytes; got {lengthFieldLength}.", nameof(lengthFieldLength));

        int headerLength = GetHeaderLength(type, destinationConnectionId.Length, sourceConnectionId.Length, token.Length, packetNumberLength, lengthFieldLength);
        if (destination.Length < headerLength) return false;

        var w = new SpanWriter(destination);
        w.WriteByte((byte)(PacketHeaderBits.HeaderForm | PacketHeaderBits.FixedBit
            | QuicVersion.GetLongPacketTypeBits(type, version) | (packetNumberLength - 1)));
        w.WriteUInt32(version);
        w.WriteUInt8LengthPrefixedSafe(destinationConnectionId);
        w.WriteUInt8LengthPrefixedSafe(sourceConnectionId);
        if (type == PacketType.Initial) w.WriteVarIntLengthPrefixed(token);
        int lengthOffset = w.Position;
        w.WriteVarInt(0, lengthFieldLength); // placeholder, RFC 9000 §16 allows any varint length
        int pnOffset = w.Position;
        PacketNumber.TryWrite(w.Free, packetNumber, packetNumberLength);
        layout = new PacketHeaderLayout(lengthOffset, lengthFieldLength, pnOffset, packetNumberLength);
        return true;
    }

    /// <summary>
    /// Patches the Length field of a header built by <see cref="TryWrite"/>: <paramref name="packetLength"/> is the whole
    /// packet's size in bytes (header, payload and AEAD tag), so Length = packetLength - PacketNumberOffset.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The packet is shorter than its header, or the Length does not fit the reserved field.</exception>
    public static void WriteLength(Span<byte> packet, in PacketHeaderLayout layout, int packetLength)
    {
        if (packetLength < layout.HeaderLength)
            throw new ArgumentOutOfRangeException(nameof(packetLength), packetLength, $"The packet cannot be shorter than its header ({layout.HeaderLength} bytes).");
        ulong length = (ulong)(packetLength - layout.PacketNumberOffset);
        if (VarInt.GetLength(length) > layout.LengthFieldLength)
            throw new ArgumentOutOfRangeException(nameof(packetLength), packetLength, $"Length {length} does not fit a {layout.LengthFieldLength}-byte field.");
        VarInt.TryWrite(packet.Slice(layout.LengthOffset), length, layout.LengthFieldLength, out _);
    }

    private static void WriteUInt8LengthPrefixedSafe(this ref SpanWriter writer, ReadOnlySpan<byte> value)
    {
        if (!writer.TryWriteUInt8LengthPrefixed(value)) throw new InvalidOperationException("Header length miscomputed.");
    }
}
