namespace Transport.Quic.Connection;

/// <summary>Why a connection closed.</summary>
public enum ConnectionCloseSource
{
    /// <summary>Not closed.</summary>
    None,
    /// <summary>The application called <see cref="QuicConnectionCore.Close"/>.</summary>
    Local,
    /// <summary>This endpoint detected a transport error (the peer's bad input) and sent CONNECTION_CLOSE.</summary>
    LocalTransportError,
    /// <summary>The peer sent CONNECTION_CLOSE.</summary>
    Peer,
    /// <summary>The idle timeout expired (RFC 9000 §10.1).</summary>
    IdleTimeout,
    /// <summary>A stateless reset from the peer arrived (RFC 9000 §10.3).</summary>
    StatelessReset,
    /// <summary>The server answered with Version Negotiation listing no version this client supports (RFC 9000 §6.2).</summary>
    VersionNegotiation,
}
