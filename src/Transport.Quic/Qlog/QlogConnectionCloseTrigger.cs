namespace Transport.Quic.Qlog;

/// <summary>How a connection ended: the <c>trigger</c> of <c>connectivity:connection_closed</c> (quic-events -02).</summary>
public enum QlogConnectionCloseTrigger
{
    /// <summary>No trigger is logged.</summary>
    None,
    /// <summary><c>"clean"</c>: closed with NO_ERROR or by the application's orderly close.</summary>
    Clean,
    /// <summary><c>"handshake_timeout"</c>.</summary>
    HandshakeTimeout,
    /// <summary><c>"idle_timeout"</c> (RFC 9000 §10.1).</summary>
    IdleTimeout,
    /// <summary><c>"error"</c>: an immediate close because of an error (RFC 9000 §10.2).</summary>
    Error,
    /// <summary><c>"stateless_reset"</c> (RFC 9000 §10.3).</summary>
    StatelessReset,
    /// <summary><c>"version_mismatch"</c>.</summary>
    VersionMismatch,
    /// <summary><c>"application"</c>: the application protocol asked to close.</summary>
    Application,
}
