using System.Net;
using Transport.Quic.Connection;

namespace Transport.Quic;

/// <summary>Options of <see cref="QuicConnection.ConnectAsync"/>.</summary>
public sealed class QuicClientConnectionOptions
{
    /// <summary>The server's address.</summary>
    public required IPEndPoint RemoteEndPoint { get; set; }

    /// <summary>The connection's options; must carry <see cref="ConnectionOptions.ClientTls"/>.</summary>
    public required ConnectionOptions ConnectionOptions { get; set; }

    /// <summary>The local address to bind; null: any address of the remote's family, any port.</summary>
    public IPEndPoint? LocalEndPoint { get; set; }
}
