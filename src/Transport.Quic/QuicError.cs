namespace Transport.Quic;

/// <summary>What went wrong, as carried by <see cref="QuicException"/>.</summary>
public enum QuicError
{
    /// <summary>The connection was closed with an application error code (by either side, see <see cref="QuicException.CloseSource"/>).</summary>
    ConnectionAborted,
    /// <summary>The connection was closed with a transport error code (RFC 9000 §20.1).</summary>
    TransportError,
    /// <summary>The connection's idle timeout expired (RFC 9000 §10.1).</summary>
    ConnectionIdle,
    /// <summary>The peer sent a stateless reset (RFC 9000 §10.3).</summary>
    StatelessReset,
    /// <summary>The peer reset the stream (RESET_STREAM) with an application error code.</summary>
    StreamAborted,
    /// <summary>The peer asked this side to stop sending (STOP_SENDING) with an application error code.</summary>
    StreamStopped,
    /// <summary>This side aborted the stream or connection before the operation could complete.</summary>
    OperationAborted,
    /// <summary>
    /// The handshake failed: a transport error closed the connection before the handshake completed. A TLS alert
    /// arrives as CRYPTO_ERROR 0x0100 + alert (RFC 9001 §4.8), see <see cref="QuicException.TlsAlert"/>.
    /// </summary>
    HandshakeFailed,
}
