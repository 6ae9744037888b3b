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
    private static readonly List<SslApplicationProtocol> Alpn = [new SslApplicationProtocol("transport-tour")];
    private readonly TcpStreamMode _mode;
    private readonly X509Certificate2 _certificate;
    private readonly SslStreamCertificateContext _context;
    private readonly ContenderAvailability _availability;

    public TcpTlsContender(TcpStreamMode mode)
    {
        _mode = mode;
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // A PKCS#12 round trip gives a certificate whose private key every platform's TLS can use.
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        _context = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
        _availability = ContenderAvailability.Available;
    }

    public string Name => _mode == TcpStreamMode.Multiplexed ? "TCP+TLS 1.3, muxed streams" : "TCP+TLS 1.3";

    public ContenderAvailability Availability => _availability;

    public Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken) =>
        Task.FromResult<ITourServer>(new TcpFamilyServer(handler, WrapServerAsync, _mode));

    public Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken) =>
        TcpFamilyConnection.ConnectAsync(server, WrapClientAsync, _mode, cancellationToken);

    private async Task<Stream> WrapServerAsync(Socket socket, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = Alpn,
                ClientCertificateRequired = false,
                AllowTlsResume = false, // every handshake a full one (QUIC is measured without 0-RTT/resumption too)
            }, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Stream> WrapClientAsync(Socket socket, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = Alpn,
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString(),
            }, cancellationToken).ConfigureAwait(false);
            if (ssl.SslProtocol != SslProtocols.Tls13)
                throw new InvalidOperationException($"TLS negotiated {ssl.SslProtocol}, not TLS 1.3.");
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _certificate.Dispose();
}
