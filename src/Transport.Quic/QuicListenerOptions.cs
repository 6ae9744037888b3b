using System.Net;
using Transport.Quic.Connection;

namespace Transport.Quic;

/// <summary>Options of <see cref="QuicListener.ListenAsync"/>.</summary>
public sealed class QuicListenerOptions
{
    /// <summary>The local address and port to bind (port 0: any free port; see <see cref="QuicListener.LocalEndPoint"/>).</summary>
    public required IPEndPoint ListenEndPoint { get; set; }

    /// <summary>Options of each accepted connection; must carry <see cref="ConnectionOptions.ServerTls"/>.</summary>
    public required ConnectionOptions ServerConnectionOptions { get; set; }

    /// <summary>Admission and Retry policy for new clients (RFC 9000 §8.1.2); null: the endpoint's defaults (Retry only when busy).</summary>
    public Transport.Quic.Endpoint.HandshakeAdmissionOptions? Admission { get; set; }
}
