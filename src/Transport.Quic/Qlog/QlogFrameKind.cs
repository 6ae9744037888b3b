namespace Transport.Quic.Qlog;

/// <summary>The kinds of frame a <see cref="QlogFrameList"/> records, one per qlog <c>frame_type</c> value.</summary>
internal enum QlogFrameKind : byte
{
    Padding,
    Ping,
    Ack,
    ResetStream,
    StopSending,
    Crypto,
    NewToken,
    Stream,
    MaxData,
    MaxStreamData,
    MaxStreams,
    DataBlocked,
    StreamDataBlocked,
    StreamsBlocked,
    NewConnectionId,
    RetireConnectionId,
    PathChallenge,
    PathResponse,
    ConnectionClose,
    HandshakeDone,
    Datagram,
    Unknown,
}
