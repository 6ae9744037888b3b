using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>Builds 1-RTT short headers (RFC 9000 §17.3.1) in place, reserved bits 0. Allocates nothing.</summary>
public static class ShortHeaderBuilder
{
    /// <summary>The header length for a connection ID and packet number of these lengths.</summary>
    public static int GetHeaderLength(int destinationConnectionIdLength, int packetNumberLength) =>
        1 + destinationConnectionIdLength + packetNumberLength;

    /// <summary>
    /// Writes a short header: first byte (Fixed Bit, spin bit, key phase, packet number length), the Destination
    /// Connection ID and the <paramref name="packetNumberLength"/> low bytes of <paramref name="packetNumber"/>.
    /// False when it does not fit.
    /// </summary>
    /// <exception cref="ArgumentException">A connection ID over 20 bytes or a packet number length not 1 to 4.</exception>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> destinationConnectionId, bool spinBit, bool keyPhase,
        ulong packetNumber, int packetNumberLength, out PacketHeaderLayout layout)
    {
        layout = default;
        if (destinationConnectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException("A QUIC v1 connection ID is at most 20 bytes.", nameof(destinationConnectionId));
        if (packetNumberLength is < 1 or > 4)
            throw new ArgumentException($"A packet number is 1 to 4 bytes; got {packetNumberLength}.", nameof(packetNumberLength));
        int headerLength = GetHeaderLength(destinationConnectionId.Length, packetNumberLength);
        if (destination.Length < headerLength) return false;
        byte first = (byte)(PacketHeaderBits.FixedBit | (packetNumberLength - 1));
        if (spinBit) first |= PacketHeaderBits.SpinBit;
        if (keyPhase) first |= PacketHeaderBits.KeyPhaseBit;
        destination[0] = first;
        destinationConnectionId.CopyTo(destination.Slice(1));
        int pnOffset = 1 + destinationConnectionId.Length;
        PacketNumber.TryWrite(destination.Slice(pnOffset), packetNumber, packetNumberLength);
        layout = new PacketHeaderLayout(-1, 0, pnOffset, packetNumberLength);
        return true;
    }
}
