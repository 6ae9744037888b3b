namespace Transport.Quic.Qlog;

/// <summary>Connection states of <c>connectivity:connection_state_updated</c> (quic-events -02).</summary>
public enum QlogConnectionState
{
    /// <summary><c>"attempted"</c>: the first Initial was sent (client) or received (server).</summary>
    Attempted,
    /// <summary><c>"peer_validated"</c>: the peer's address is validated (RFC 9000 §8.1).</summary>
    PeerValidated,
    /// <summary><c>"handshake_started"</c>.</summary>
    HandshakeStarted,
    /// <summary><c>"early_write"</c>: 1-RTT may be sent, the handshake is not complete.</summary>
    EarlyWrite,
    /// <summary><c>"handshake_complete"</c>: TLS Finished sent and received (RFC 9001 §4.1.1).</summary>
    HandshakeComplete,
    /// <summary><c>"handshake_confirmed"</c>: HANDSHAKE_DONE sent or received (RFC 9001 §4.1.2).</summary>
    HandshakeConfirmed,
    /// <summary><c>"closing"</c> (RFC 9000 §10.2.1).</summary>
    Closing,
    /// <summary><c>"draining"</c> (RFC 9000 §10.2.2).</summary>
    Draining,
    /// <summary><c>"closed"</c>: state discarded.</summary>
    Closed,
}
