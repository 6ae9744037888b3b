using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// What the endpoint needs from a <see cref="QuicConnection"/> that the public API does not expose yet, read from the
/// connection core under the endpoint's lock (Transport.Quic grants this project its internals).
/// </summary>
internal static class QuicApiAccess
{
    /// <summary>The ALPN protocol the handshake chose, as text ("h3", "hq-interop").</summary>
    public static string NegotiatedAlpn(QuicConnection connection) =>
        connection.Pump.Invoke(_ => connection.Core.NegotiatedApplicationProtocol.ToString());

    /// <summary>The last session ticket the server sent on this (client) connection, or null.</summary>
    public static Transport.Quic.Tls.TlsSessionTicket? SessionTicket(QuicConnection connection) =>
        connection.Pump.Invoke(_ => connection.Core.SessionTicket);
}
