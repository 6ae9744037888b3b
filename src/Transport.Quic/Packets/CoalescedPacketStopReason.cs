namespace Transport.Quic.Packets;

/// <summary>Why a <see cref="CoalescedPacketReader"/> stopped before the end of the datagram.</summary>
public enum CoalescedPacketStopReason
{
    /// <summary>It did not stop early.</summary>
    None,

    /// <summary>The remaining bytes do not start with a parseable packet; they are discarded.</summary>
    Malformed,

    /// <summary>A packet's Destination Connection ID differs from the first packet's (RFC 9000 §12.2).</summary>
    ConnectionIdMismatch,
}
