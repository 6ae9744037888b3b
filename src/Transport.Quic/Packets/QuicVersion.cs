namespace Transport.Quic.Packets;

/// <summary>QUIC version numbers and the rules that depend on them.</summary>
public static class QuicVersion
{
    /// <summary>The Version field of a Version Negotiation packet (RFC 8999 §6).</summary>
    public const uint Negotiation = 0x00000000;

    /// <summary>QUIC version 1 (RFC 9000 §15).</summary>
    public const uint Version1 = 0x00000001;

    /// <summary>QUIC version 2 (RFC 9369 §3.1): the v1 layout with different long packet type bits.</summary>
    public const uint Version2 = 0x6b3343cf;

    /// <summary>True for versions whose long headers this codec parses and builds (v1 and v2).</summary>
    public static bool IsSupported(uint version) => version is Version1 or Version2;

    /// <summary>
    /// True for the versions 0x?a?a?a?a reserved to exercise version negotiation (RFC 9000 §15): never supported,
    /// sent to make sure peers ignore unknown versions.
    /// </summary>
    public static bool IsReservedForNegotiation(uint version) => (version & 0x0f0f0f0f) == 0x0a0a0a0a;

    /// <summary>
    /// The packet type of a long header first byte for <paramref name="version"/> (RFC 9000 §17.2 Table 5;
    /// RFC 9369 §3.2 for v2). Call only for supported versions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An unsupported version.</exception>
    public static PacketType GetLongPacketType(byte firstByte, uint version)
    {
        int bits = (firstByte & PacketHeaderBits.LongPacketTypeMask) >> 4;
        return version switch
        {
            Version1 => bits switch { 0 => PacketType.Initial, 1 => PacketType.ZeroRtt, 2 => PacketType.Handshake, _ => PacketType.Retry },
            Version2 => bits switch { 1 => PacketType.Initial, 2 => PacketType.ZeroRtt, 3 => PacketType.Handshake, _ => PacketType.Retry },
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a version whose long header types are known."),
        };
    }

    /// <summary>The two Long Packet Type bits (already shifted into 0x30) of <paramref name="type"/> in <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unsupported version, or a type without a long header type value.</exception>
    public static byte GetLongPacketTypeBits(PacketType type, uint version)
    {
        int bits = (version, type) switch
        {
            (Version1, PacketType.Initial) => 0,
            (Version1, PacketType.ZeroRtt) => 1,
            (Version1, PacketType.Handshake) => 2,
            (Version1, PacketType.Retry) => 3,
            (Version2, PacketType.Initial) => 1,
            (Version2, PacketType.ZeroRtt) => 2,
            (Version2, PacketType.Handshake) => 3,
            (Version2, PacketType.Retry) => 0,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"No long packet type value for {type} in version 0x{version:x8}."),
        };
        return (byte)(bits << 4);
    }
}
