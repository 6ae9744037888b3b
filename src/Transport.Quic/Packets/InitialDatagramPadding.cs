namespace Transport.Quic.Packets;

/// <summary>
/// The 1200-byte rule for datagrams carrying Initial packets (RFC 9000 §14.1): a client pads every such datagram to at
/// least 1200 bytes, a server pads those carrying ack-eliciting Initial packets, and a server discards client Initial
/// packets in smaller datagrams. Padding is added as PADDING frames inside a packet, or as extra coalesced packets.
/// </summary>
public static class InitialDatagramPadding
{
    /// <summary>The smallest allowed maximum datagram size: 1200 bytes (RFC 9000 §14).</summary>
    public const int MinimumDatagramSize = 1200;

    /// <summary>
    /// True when a datagram that carries an Initial packet must be expanded to <see cref="MinimumDatagramSize"/>:
    /// always for a client; for a server, when an Initial packet in it is ack-eliciting (RFC 9000 §14.1).
    /// </summary>
    public static bool MustPad(bool isClient, bool hasAckElicitingInitial) => isClient || hasAckElicitingInitial;

    /// <summary>How many bytes to add to a datagram of <paramref name="datagramLength"/> bytes to reach 1200 (0 when it already does).</summary>
    public static int GetPaddingLength(int datagramLength) => Math.Max(0, MinimumDatagramSize - datagramLength);

    /// <summary>
    /// False when a server must discard a client's Initial packet because its datagram is smaller than 1200 bytes
    /// (RFC 9000 §14.1).
    /// </summary>
    public static bool IsLargeEnough(int datagramLength) => datagramLength >= MinimumDatagramSize;
}
