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

    /// <summary>
    /// Connections whose handshake completed and that wait for <see cref="QuicListener.AcceptConnectionAsync"/>; beyond it
    /// new clients are refused (or sent a Retry when unvalidated). Default 512.
    /// </summary>
    public int AcceptBacklog { get; set; } = 512;

    /// <summary>Received datagrams (RFC 9221) each accepted connection queues for <see cref="QuicConnection.ReceiveDatagramAsync"/> before dropping the oldest. Default 256.</summary>
    public int DatagramReceiveQueueCapacity { get; set; } = 256;
}
