namespace Transport.Quic.Frames;

/// <summary>
/// QUIC v1 frame types (RFC 9000 §12.4 Table 3, §19; DATAGRAM from RFC 9221 §4). The eight STREAM variants
/// 0x08-0x0f share <see cref="Stream"/>: <see cref="Frame.Type"/> reports <see cref="Stream"/> for all of them and
/// <see cref="Frame.RawType"/> keeps the OFF/LEN/FIN bits.
/// </summary>
public enum FrameType : ulong
{
    /// <summary>PADDING (0x00): no semantic value; consecutive PADDING bytes are reported as one frame.</summary>
    Padding = 0x00,
    /// <summary>PING (0x01): ack-eliciting, no content.</summary>
    Ping = 0x01,
    /// <summary>ACK (0x02) without ECN counts.</summary>
    Ack = 0x02,
    /// <summary>ACK (0x03) with ECN counts.</summary>
    AckEcn = 0x03,
    /// <summary>RESET_STREAM (0x04).</summary>
    ResetStream = 0x04,
    /// <summary>STOP_SENDING (0x05).</summary>
    StopSending = 0x05,
    /// <summary>CRYPTO (0x06).</summary>
    Crypto = 0x06,
    /// <summary>NEW_TOKEN (0x07).</summary>
    NewToken = 0x07,
    /// <summary>STREAM (0x08-0x0f; the low three bits are OFF 0x04, LEN 0x02 and FIN 0x01).</summary>
    Stream = 0x08,
    /// <summary>MAX_DATA (0x10).</summary>
    MaxData = 0x10,
    /// <summary>MAX_STREAM_DATA (0x11).</summary>
    MaxStreamData = 0x11,
    /// <summary>MAX_STREAMS (0x12) for bidirectional streams.</summary>
    MaxStreamsBidi = 0x12,
    /// <summary>MAX_STREAMS (0x13) for unidirectional streams.</summary>
    MaxStreamsUni = 0x13,
    /// <summary>DATA_BLOCKED (0x14).</summary>
    DataBlocked = 0x14,
    /// <summary>STREAM_DATA_BLOCKED (0x15).</summary>
    StreamDataBlocked = 0x15,
    /// <summary>STREAMS_BLOCKED (0x16) for bidirectional streams.</summary>
    StreamsBlockedBidi = 0x16,
    /// <summary>STREAMS_BLOCKED (0x17) for unidirectional streams.</summary>
    StreamsBlockedUni = 0x17,
    /// <summary>NEW_CONNECTION_ID (0x18).</summary>
    NewConnectionId = 0x18,
    /// <summary>RETIRE_CONNECTION_ID (0x19).</summary>
    RetireConnectionId = 0x19,
    /// <summary>PATH_CHALLENGE (0x1a).</summary>
    PathChallenge = 0x1a,
    /// <summary>PATH_RESPONSE (0x1b).</summary>
    PathResponse = 0x1b,
    /// <summary>CONNECTION_CLOSE (0x1c): a transport error, with the type of the frame that caused it.</summary>
    ConnectionClose = 0x1c,
    /// <summary>CONNECTION_CLOSE (0x1d): an application error.</summary>
    ConnectionCloseApplication = 0x1d,
    /// <summary>HANDSHAKE_DONE (0x1e).</summary>
    HandshakeDone = 0x1e,
    /// <summary>DATAGRAM (0x30) without a Length field: the data runs to the end of the packet (RFC 9221 §4).</summary>
    Datagram = 0x30,
    /// <summary>DATAGRAM (0x31) with a Length field (RFC 9221 §4).</summary>
    DatagramWithLength = 0x31,
}
