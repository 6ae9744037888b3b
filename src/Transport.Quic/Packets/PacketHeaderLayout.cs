namespace Transport.Quic.Packets;

/// <summary>
/// Where a built header put the fields that packet protection and the packet builder patch later (offsets from the
/// packet's first byte): the Length field (long headers) and the Packet Number field.
/// </summary>
/// <param name="LengthOffset">Offset of the Length field; -1 for a short header.</param>
/// <param name="LengthFieldLength">Bytes reserved for the Length varint (1, 2, 4 or 8); 0 for a short header.</param>
/// <param name="PacketNumberOffset">Offset of the Packet Number field (RFC 9001 §5.4.2 samples from here + 4).</param>
/// <param name="PacketNumberLength">Length of the Packet Number field, 1 to 4.</param>
public readonly record struct PacketHeaderLayout(int LengthOffset, int LengthFieldLength, int PacketNumberOffset, int PacketNumberLength)
{
    /// <summary>The header's length: where the payload starts (also the end of the AEAD associated data).</summary>
    public int HeaderLength => PacketNumberOffset + PacketNumberLength;
}
