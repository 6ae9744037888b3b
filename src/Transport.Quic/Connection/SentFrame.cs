namespace Transport.Quic.Connection;

/// <summary>The kinds of frame a sent packet carried that matter when it is acknowledged or lost.</summary>
internal enum SentFrameKind : byte
{
    Ack,
    Crypto,
    Stream,
    ResetStream,
    StopSending,
    MaxData,
    MaxStreamData,
    MaxStreamsBidi,
    MaxStreamsUni,
    DataBlocked,
    StreamDataBlocked,
    StreamsBlockedBidi,
    StreamsBlockedUni,
    NewConnectionId,
    RetireConnectionId,
    HandshakeDone,
    Ping,
    Datagram,
    NewToken,
}

/// <summary>
/// What one frame of a sent packet carried (RFC 9000 §13.3: lost information is sent again in new frames, not the
/// packet): stream or crypto ranges by offset, control frames by what they refer to.
/// </summary>
internal struct SentFrame
{
    public SentFrameKind Kind;
    public bool Fin;
    public int Length;
    public long StreamId;
    public long Offset;
    /// <summary>A value: the limit of MAX_*/ *_BLOCKED frames, a sequence number, the largest acknowledged of an ACK.</summary>
    public long Value;
}
