namespace Transport.Quic.Packets;

/// <summary>
/// Splits a UDP datagram into its coalesced QUIC packets (RFC 9000 §12.2) using each long header's Length field. A
/// short-header packet, a Retry, a Version Negotiation packet or a packet of an unknown version takes the rest of the
/// datagram. Reading stops (see <see cref="StopReason"/>) at an unparseable packet, and at a packet whose Destination
/// Connection ID differs from the first packet's, which receivers SHOULD ignore (RFC 9000 §12.2). Allocates nothing.
/// </summary>
public ref struct CoalescedPacketReader
{
    private readonly ReadOnlySpan<byte> _datagram;
    private readonly int _shortHeaderConnectionIdLength;
    private ReadOnlySpan<byte> _firstDcid;
    private int _position;
    private int _count;

    /// <summary>Reads <paramref name="datagram"/>; short headers carry connection IDs of <paramref name="shortHeaderConnectionIdLength"/> bytes.</summary>
    public CoalescedPacketReader(ReadOnlySpan<byte> datagram, int shortHeaderConnectionIdLength)
    {
        _datagram = datagram;
        _shortHeaderConnectionIdLength = shortHeaderConnectionIdLength;
        _firstDcid = default;
        _position = 0;
        _count = 0;
        StopReason = CoalescedPacketStopReason.None;
    }

    /// <summary>Offset of the next packet in the datagram.</summary>
    public readonly int Position => _position;

    /// <summary>Why reading ended early; <see cref="CoalescedPacketStopReason.None"/> while packets remain or after a clean end.</summary>
    public CoalescedPacketStopReason StopReason { get; private set; }

    /// <summary>The next packet's bytes (header protection still applied); false at the end or when reading stopped.</summary>
    public bool TryReadNext(out ReadOnlySpan<byte> packet)
    {
        packet = default;
        if (_position >= _datagram.Length || StopReason != CoalescedPacketStopReason.None) return false;
        ReadOnlySpan<byte> rest = _datagram.Slice(_position);
        if (!InvariantHeader.TryParse(rest, _shortHeaderConnectionIdLength, out InvariantHeader invariant))
            return Stop(CoalescedPacketStopReason.Malformed);

        int length = rest.Length;
        if (invariant.IsLongHeader && QuicVersion.IsSupported(invariant.Version))
        {
            if (!LongHeader.TryParse(rest, out LongHeader header)) return Stop(CoalescedPacketStopReason.Malformed);
            length = header.PacketLength;
            if (length == 0) return Stop(CoalescedPacketStopReason.Malformed);
        }
        else if (!invariant.IsLongHeader && (rest[0] & PacketHeaderBits.FixedBit) == 0)
        {
            // Fixed Bit 0 in a short header: not a QUIC v1 packet, e.g. zero bytes padding the datagram (RFC 9000 §17.3.1).
            return Stop(CoalescedPacketStopReason.Malformed);
        }

        if (_count == 0) _firstDcid = invariant.DestinationConnectionId;
        else if (!invariant.DestinationConnectionId.SequenceEqual(_firstDcid))
            return Stop(CoalescedPacketStopReason.ConnectionIdMismatch);

        packet = rest.Slice(0, length);
        _position += length;
        _count++;
        return true;
    }

    private bool Stop(CoalescedPacketStopReason reason)
    {
        StopReason = reason;
        return false;
    }
}
