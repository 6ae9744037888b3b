using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Bench.Tour;

/// <summary>
/// TCP + TLS 1.3 through <see cref="SslStream"/> (the platform's TLS: OpenSSL on Linux), TLS 1.3 only, with a
/// self-signed ECDSA P-256 certificate made at run time. The client accepts exactly that certificate (pinned by its
/// thumbprint; the platform still builds the chain before the callback, as any SslStream client does). Session
/// resumption is off on both sides (AllowTlsResume = false): every handshake is a full one, as for QUIC without 0-RTT.
/// </summary>
internal sealed class TcpTlsContender : ITransportContender, IDisposable
{
    private readonly TcpStreamMode _mode;
    private readonly X509Certificate2 _certificate;
    private readonly SslStreamCertificateContext _context;
    private readonly ContenderAvailability _availability;

    public TcpTlsContender(TcpStreamMode mode)
    {
        _mode = mode;
        _certificate = TourTls.CreateCertificate();
        _context = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
        _availability = ContenderAvailability.Available;
    }

    public string Name => _mode == TcpStreamMode.Multiplexed ? "TCP+TLS 1.3, muxed streams" : "TCP+TLS 1.3";

    public ContenderAvailability Availability => _availability;

    public Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken) =>
        Task.FromResult<ITourServer>(new TcpFamilyServer(handler, WrapServerAsync, _mode));

    public Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken) =>
        TcpFamilyConnection.ConnectAsync(server, WrapClientAsync, _mode, cancellationToken);

    private Task<Stream> WrapServerAsync(Socket socket, CancellationToken cancellationToken) =>
        TourTls.ServerAsync(socket, _context, cancellationToken);

    private Task<Stream> WrapClientAsync(Socket socket, CancellationToken cancellationToken) =>
        TourTls.ClientAsync(socket, _certificate.GetCertHashString(), cancellationToken);

    public void Dispose() => _certificate.Dispose();
}
