namespace Transport.Quic.Packets;

/// <summary>
/// A parsed, still header-protected 1-RTT short header (RFC 9000 §17.3.1): Destination Connection ID (of the length
/// the endpoint issues) and where the Packet Number starts. The packet runs to the end of the datagram. The spin bit
/// is readable now; key phase, reserved bits and packet number length only after header protection removal
/// (<see cref="PacketHeaderBits"/>). A view; allocates nothing.
/// </summary>
public readonly ref struct ShortHeader
{
    private ShortHeader(byte firstByte, ReadOnlySpan<byte> dcid)
    {
        FirstByte = firstByte;
        DestinationConnectionId = dcid;
    }

    /// <summary>The first byte as received (its low five bits are still protected).</summary>
    public byte FirstByte { get; }

    /// <summary>The Destination Connection ID.</summary>
    public ReadOnlySpan<byte> DestinationConnectionId { get; }

    /// <summary>The spin bit (RFC 9000 §17.4), not covered by header protection.</summary>
    public bool SpinBit => PacketHeaderBits.GetSpinBit(FirstByte);

    /// <summary>Offset of the Packet Number field: 1 + the connection ID length.</summary>
    public int PacketNumberOffset => 1 + DestinationConnectionId.Length;

    /// <summary>
    /// Parses the short header at the start of <paramref name="packet"/>. False when the Header Form bit is set, the
    /// Fixed Bit is 0 (RFC 9000 §17.3.1: such packets are discarded), or the packet is too short for the connection ID
    /// and a packet number.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, int connectionIdLength, out ShortHeader header)
    {
        header = default;
        if ((uint)connectionIdLength > Transport.Core.Wire.ConnectionId.MaxLength) return false;
        if (packet.Length < 1 + connectionIdLength + 1) return false;
        byte first = packet[0];
        if ((first & PacketHeaderBits.HeaderForm) != 0 || (first & PacketHeaderBits.FixedBit) == 0) return false;
        header = new ShortHeader(first, packet.Slice(1, connectionIdLength));
        return true;
    }
}
