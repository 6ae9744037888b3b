namespace Transport.Reliable;

/// <summary>
/// What was wrong with input that came from the peer (an ACK frame, in practice). Components of Transport.Reliable
/// return one of these instead of throwing; the connection maps every value other than <see cref="None"/> to the
/// transport error PROTOCOL_VIOLATION (RFC 9000 §13.1, §19.3) or FRAME_ENCODING_ERROR for malformed ranges.
/// </summary>
public enum ReliableError
{
    /// <summary>No error: the input was accepted.</summary>
    None = 0,

    /// <summary>
    /// An ACK frame acknowledged a packet number that this endpoint never sent (for example one it skipped on purpose).
    /// RFC 9000 §13.1: "An endpoint SHOULD treat receipt of an acknowledgment for a packet it did not send as a connection
    /// error of type PROTOCOL_VIOLATION".
    /// </summary>
    AckOfUnsentPacket = 1,

    /// <summary>The Largest Acknowledged field of an ACK frame is larger than the largest packet number sent in that space.</summary>
    LargestAcknowledgedBeyondLargestSent = 2,

    /// <summary>
    /// An ACK range in first-range/gap form computes a packet number below zero (RFC 9000 §19.3.1: "If any computed packet
    /// number is negative, an endpoint MUST generate a connection error of type FRAME_ENCODING_ERROR").
    /// </summary>
    AckRangeUnderflow = 3,

    /// <summary>
    /// ACK ranges handed over in decoded form are not a valid set: empty, a range whose smallest exceeds its largest, a
    /// negative packet number, or ranges that are not disjoint and in descending order.
    /// </summary>
    MalformedAckRanges = 4,
}
