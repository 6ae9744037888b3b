using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// The peers of the setup, hol and scale sections, built directly (not through <see cref="ITransportContender"/>, whose
/// servers live on 127.0.0.1): one self-signed ECDSA P-256 certificate pinned by every client, TLS 1.3 through
/// SslStream for TCP, and Transport QUIC options (1452-byte datagrams, session tickets and 0-RTT enabled on the server).
/// Echo servers for both, on sockets the caller created (so they may live in a network namespace).
/// </summary>
internal sealed class TourPeers : IDisposable
{
    public static readonly SslApplicationProtocol Alpn = TourTls.Alpn[0];

    /// <summary>1500-byte MTU minus IPv6 and UDP headers, as in the loopback section's QUIC contender.</summary>
    public const int MaxDatagramSize = 1452;

    private readonly X509Certificate2 _certificate;
    private readonly SslStreamCertificateContext _sslContext;
    private readonly byte[] _pin;
    private readonly string _thumbprint;

    public TourPeers()
    {
        _certificate = TourTls.CreateCertificate();
        _sslContext = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
        _pin = TlsClientOptions.ComputeCertificatePin(_certificate);
        _thumbprint = _certificate.GetCertHashString();
        TicketKeys = new TlsSessionTicketKeys();
    }

    /// <summary>SHA-256 pin of the server certificate (what clients accept).</summary>
    public byte[] Pin => _pin;

    /// <summary>The server's ticket keys (shared by every listener, so tickets survive a new listener).</summary>
    public TlsSessionTicketKeys TicketKeys { get; }

    public ConnectionOptions QuicServerOptions(TimeSpan? idleTimeout = null, int maxStreams = 1000) => new()
    {
        ServerTls = new TlsServerOptions
        {
            ServerCertificate = _certificate,
            ApplicationProtocols = [Alpn],
            SessionTicketKeys = TicketKeys,
            EnableEarlyData = true,
        },
        MaxDatagramSize = MaxDatagramSize,
        MaxBidirectionalStreams = maxStreams,
        IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(30),
    };

    public ConnectionOptions QuicClientOptions(TlsSessionTicket? ticket = null, TimeSpan? idleTimeout = null) => QuicClientOptions(_pin, ticket, idleTimeout);

    /// <summary>Client options pinning <paramref name="pin"/> (a server in another process).</summary>
    public static ConnectionOptions QuicClientOptions(byte[] pin, TlsSessionTicket? ticket = null, TimeSpan? idleTimeout = null) => new()
    {
        ClientTls = new TlsClientOptions
        {
            ServerName = "localhost",
            ApplicationProtocols = [Alpn],
            PinnedCertificateSha256 = [pin],
            SessionTicket = ticket,
            EnableEarlyData = ticket is not null,
        },
        MaxDatagramSize = MaxDatagramSize,
        IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(30),
    };

    /// <summary>TLS 1.3 server side over an accepted socket (no resumption: every handshake a full one).</summary>
    public Task<Stream> TlsServerAsync(Socket socket, CancellationToken cancellationToken) =>
        TourTls.ServerAsync(socket, _sslContext, cancellationToken);

    /// <summary>TLS 1.3 client side over a connected socket, pinning the certificate.</summary>
    public Task<Stream> TlsClientAsync(Socket socket, CancellationToken cancellationToken) =>
        TourTls.ClientAsync(socket, _thumbprint, cancellationToken);

    /// <summary>Copies everything read back to the writer until end of stream (or an error: the peer went away).</summary>
    public static async Task EchoAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // the client closed abruptly or the server is stopping
        }
    }

    public void Dispose() => _certificate.Dispose();
}
