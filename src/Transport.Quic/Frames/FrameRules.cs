namespace Transport.Quic.Frames;

/// <summary>
/// Per-frame-type rules: which packet types may carry a frame (RFC 9000 §12.4 Table 3, RFC 9221 §4), which frames are
/// ack-eliciting (RFC 9000 §13.2; RFC 9002 §2) and which make a packet count as in flight (RFC 9002 §2).
/// </summary>
public static class FrameRules
{
    /// <summary>STREAM type bit: the Offset field is present (RFC 9000 §19.8).</summary>
    public const byte StreamOffBit = 0x04;

    /// <summary>STREAM type bit: the Length field is present (RFC 9000 §19.8).</summary>
    public const byte StreamLenBit = 0x02;

    /// <summary>STREAM type bit: the frame marks the end of the stream (RFC 9000 §19.8).</summary>
    public const byte StreamFinBit = 0x01;

    /// <summary>The largest value of MAX_STREAMS and STREAMS_BLOCKED, and of initial_max_streams_*: 2^60 (RFC 9000 §4.6, §19.11).</summary>
    public const ulong MaxStreamCount = 1UL << 60;

    /// <summary>True when <paramref name="rawType"/> is one of the frame types QUIC v1 and RFC 9221 define.</summary>
    public static bool IsKnown(ulong rawType) => rawType <= 0x1e || rawType is 0x30 or 0x31;

    /// <summary>
    /// Maps a wire frame type to its <see cref="FrameType"/>: the STREAM variants 0x08-0x0f all map to
    /// <see cref="FrameType.Stream"/>. Call only for known types (<see cref="IsKnown"/>).
    /// </summary>
    public static FrameType Normalize(ulong rawType) =>
        rawType is >= 0x08 and <= 0x0f ? FrameType.Stream : (FrameType)rawType;

    /// <summary>
    /// True when a frame of <paramref name="type"/> may appear in a packet protected at <paramref name="level"/>
    /// (RFC 9000 §12.4 Table 3 and §12.5: Initial and Handshake carry only PADDING, PING, ACK, CRYPTO and the 0x1c
    /// CONNECTION_CLOSE; 0-RTT carries no ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE or
    /// RETIRE_CONNECTION_ID; RFC 9221 §4: DATAGRAM only in 0-RTT and 1-RTT). A frame in the wrong packet type is a
    /// PROTOCOL_VIOLATION.
    /// </summary>
    public static bool IsAllowed(FrameType type, EncryptionLevel level)
    {
        switch (type)
        {
            case FrameType.Padding:
            case FrameType.Ping:
                return true;
            case FrameType.Ack:
            case FrameType.AckEcn:
            case FrameType.Crypto:
                return level != EncryptionLevel.ZeroRtt; // "IH_1"
            case FrameType.ConnectionClose:
                return true; // "ih01"
            case FrameType.NewToken:
            case FrameType.PathResponse:
            case FrameType.HandshakeDone:
                return level == EncryptionLevel.OneRtt; // "___1"
            case FrameType.RetireConnectionId:
                // Table 3 marks RETIRE_CONNECTION_ID "__01", but §12.5 lists it (with ACK, CRYPTO, HANDSHAKE_DONE,
                // NEW_TOKEN and PATH_RESPONSE) among the frames that cannot be sent in 0-RTT and that a server MAY
                // treat as a PROTOCOL_VIOLATION there; the stricter rule is applied.
                return level == EncryptionLevel.OneRtt;
            default:
                return level is EncryptionLevel.ZeroRtt or EncryptionLevel.OneRtt; // "__01"
        }
    }

    /// <summary>
    /// False for the frames only a server sends: NEW_TOKEN (RFC 9000 §19.7) and HANDSHAKE_DONE (§19.20). A server
    /// receiving one treats it as a PROTOCOL_VIOLATION.
    /// </summary>
    public static bool MayBeSentByClient(FrameType type) => type is not (FrameType.NewToken or FrameType.HandshakeDone);

    /// <summary>
    /// True for ack-eliciting frames: every frame except ACK, PADDING and CONNECTION_CLOSE (RFC 9002 §2;
    /// DATAGRAM is ack-eliciting, RFC 9221 §5.2).
    /// </summary>
    public static bool IsAckEliciting(FrameType type) =>
        type is not (FrameType.Ack or FrameType.AckEcn or FrameType.Padding
            or FrameType.ConnectionClose or FrameType.ConnectionCloseApplication);

    /// <summary>
    /// True when a packet carrying this frame counts toward bytes in flight: ack-eliciting frames and PADDING
    /// (RFC 9002 §2, "In-flight packets").
    /// </summary>
    public static bool CountsInFlight(FrameType type) => type == FrameType.Padding || IsAckEliciting(type);
}
