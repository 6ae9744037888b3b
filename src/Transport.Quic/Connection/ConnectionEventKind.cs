namespace Transport.Quic.Connection;

/// <summary>What a <see cref="ConnectionEvent"/> reports.</summary>
public enum ConnectionEventKind
{
    /// <summary>The TLS handshake completed: streams and datagrams may be used (RFC 9001 §4.1.1).</summary>
    HandshakeCompleted,
    /// <summary>The handshake is confirmed (RFC 9001 §4.1.2): HANDSHAKE_DONE sent (server) or received (client).</summary>
    HandshakeConfirmed,
    /// <summary>The peer opened <see cref="ConnectionEvent.StreamId"/> (the first frame for it, or a higher-numbered one, arrived).</summary>
    StreamOpened,
    /// <summary>Data (or the end of the stream) can be read from <see cref="ConnectionEvent.StreamId"/>.</summary>
    StreamReadable,
    /// <summary>Acknowledgments freed send-buffer space, or the peer raised flow-control credit, on <see cref="ConnectionEvent.StreamId"/>.</summary>
    StreamWritable,
    /// <summary>Every byte written to <see cref="ConnectionEvent.StreamId"/>, and its FIN, was acknowledged (send side "Data Recvd").</summary>
    StreamSendCompleted,
    /// <summary>The peer reset its sending side of <see cref="ConnectionEvent.StreamId"/> (RESET_STREAM) with <see cref="ConnectionEvent.ErrorCode"/>.</summary>
    StreamReset,
    /// <summary>The peer asked us to stop sending on <see cref="ConnectionEvent.StreamId"/> (STOP_SENDING, <see cref="ConnectionEvent.ErrorCode"/>); the stream was reset with that code.</summary>
    StreamStopSending,
    /// <summary>The peer raised its stream limit (MAX_STREAMS): more streams may be opened.</summary>
    StreamsAvailable,
    /// <summary>A DATAGRAM frame arrived; its bytes are in <see cref="ConnectionEvent.Data"/> (RFC 9221).</summary>
    DatagramReceived,
    /// <summary>
    /// This endpoint issued <see cref="ConnectionEvent.ConnectionId"/> (with <see cref="ConnectionEvent.StatelessResetToken"/>):
    /// the endpoint must route packets carrying it to this connection.
    /// </summary>
    ConnectionIdIssued,
    /// <summary>The peer retired <see cref="ConnectionEvent.ConnectionId"/>: the endpoint should stop routing it.</summary>
    ConnectionIdRetired,
    /// <summary>
    /// The connection closed (CONNECTION_CLOSE sent or received, idle timeout, stateless reset); see
    /// <see cref="ConnectionEvent.CloseSource"/>, <see cref="ConnectionEvent.ErrorCode"/>, <see cref="ConnectionEvent.IsApplicationError"/>
    /// and <see cref="ConnectionEvent.Reason"/>. Packets may still be exchanged during the closing or draining period.
    /// </summary>
    Closed,
    /// <summary>Client: the server accepted the early data (0-RTT) sent before the handshake completed.</summary>
    EarlyDataAccepted,
    /// <summary>Client: the server rejected early data; the stream data sent in 0-RTT is being sent again in 1-RTT (RFC 9001 §4.6.2), datagrams are lost.</summary>
    EarlyDataRejected,
    /// <summary>Client: the server sent an address validation token with NEW_TOKEN (RFC 9000 §8.1.3), in <see cref="ConnectionEvent.Data"/>; give it as <see cref="ConnectionOptions.InitialToken"/> to a later connection to the same server.</summary>
    NewTokenReceived,
    /// <summary>The closing or draining period ended: the connection is dead and the endpoint may forget it and its connection IDs.</summary>
    Terminated,
    /// <summary>
    /// The connection now sends on another path (RFC 9000 §9): <see cref="QuicConnectionCore.RemoteEndPoint"/> (the peer
    /// moved, or a failed validation reverted to the previous address) or <see cref="QuicConnectionCore.LocalEndPoint"/>
    /// (a client's migration completed) changed.
    /// </summary>
    PathMigrated,
    /// <summary>Path validation failed (RFC 9000 §8.2.4): a client's migration attempt was abandoned, or the server went back to the last validated address.</summary>
    PathValidationFailed,
    /// <summary>
    /// Server, once: the first flight (ServerHello ... Finished) is queued and the 1-RTT write key installed, before the
    /// handshake completes. Streams can be written now: their data leaves in 1-RTT packets right after the first flight
    /// (0.5-RTT data, RFC 9001 §4.1.1), and accepted 0-RTT stream data can already be read. The client is not yet
    /// authenticated to the server, and 0-RTT data can be replayed (RFC 8446 §8, RFC 9001 §9.2).
    /// </summary>
    HalfRttReady,
}
