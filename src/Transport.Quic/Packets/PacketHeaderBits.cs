namespace Transport.Quic.Packets;

/// <summary>The bits of a QUIC packet's first byte (RFC 9000 §17.2, §17.3.1) and helpers to read them.</summary>
public static class PacketHeaderBits
{
    /// <summary>Header Form: 1 for long headers, 0 for short (RFC 8999 §5).</summary>
    public const byte HeaderForm = 0x80;

    /// <summary>Fixed Bit: 1 in every valid QUIC v1 packet except Version Negotiation (RFC 9000 §17.2).</summary>
    public const byte FixedBit = 0x40;

    /// <summary>Long Packet Type bits (RFC 9000 §17.2).</summary>
    public const byte LongPacketTypeMask = 0x30;

    /// <summary>Reserved bits of a long header, protected by header protection (RFC 9000 §17.2).</summary>
    public const byte LongReservedBitsMask = 0x0c;

    /// <summary>Spin bit of a short header (RFC 9000 §17.4).</summary>
    public const byte SpinBit = 0x20;

    /// <summary>Reserved bits of a short header, protected by header protection (RFC 9000 §17.3.1).</summary>
    public const byte ShortReservedBitsMask = 0x18;

    /// <summary>Key Phase bit of a short header, protected by header protection (RFC 9000 §17.3.1).</summary>
    public const byte KeyPhaseBit = 0x04;

    /// <summary>Packet Number Length bits: the length minus one (protected by header protection).</summary>
    public const byte PacketNumberLengthMask = 0x03;

    /// <summary>True when the first byte announces a long header.</summary>
    public static bool IsLongHeader(byte firstByte) => (firstByte & HeaderForm) != 0;

    /// <summary>The packet number length, 1 to 4, from a first byte whose header protection was removed.</summary>
    public static int GetPacketNumberLength(byte unprotectedFirstByte) => (unprotectedFirstByte & PacketNumberLengthMask) + 1;

    /// <summary>
    /// True when the reserved bits of a first byte whose header protection was removed are zero. Non-zero reserved
    /// bits, after removing both packet and header protection, are a PROTOCOL_VIOLATION (RFC 9000 §17.2, §17.3.1).
    /// </summary>
    public static bool AreReservedBitsZero(byte unprotectedFirstByte) =>
        (unprotectedFirstByte & (IsLongHeader(unprotectedFirstByte) ? LongReservedBitsMask : ShortReservedBitsMask)) == 0;

    /// <summary>The spin bit of a short header (not protected).</summary>
    public static bool GetSpinBit(byte firstByte) => (firstByte & SpinBit) != 0;

    /// <summary>The Key Phase bit of a short header whose header protection was removed.</summary>
    public static bool GetKeyPhase(byte unprotectedFirstByte) => (unprotectedFirstByte & KeyPhaseBit) != 0;

    /// <summary>
    /// The bits of the first byte that header protection masks: the low 4 bits of a long header, the low 5 of a short
    /// header (RFC 9001 §5.4.1).
    /// </summary>
    public static byte GetHeaderProtectionMask(byte firstByte) => IsLongHeader(firstByte) ? (byte)0x0f : (byte)0x1f;
}
