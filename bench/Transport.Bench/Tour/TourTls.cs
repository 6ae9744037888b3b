using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Bench.Tour;

/// <summary>
/// The tour's TLS pieces, shared by the TCP+TLS contender and the setup/hol/scale peers: one self-signed ECDSA P-256
/// certificate for "localhost" made at run time, and TLS 1.3 over a socket through <see cref="SslStream"/> with session
/// resumption off (every handshake a full one, as for QUIC without 0-RTT); the client accepts exactly the server's
/// certificate, pinned by its thumbprint.
/// </summary>
internal static class TourTls
{
    public static readonly List<SslApplicationProtocol> Alpn = [new SslApplicationProtocol("transport-tour")];

    public static X509Certificate2 CreateCertificate()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // A PKCS#12 round trip gives a certificate whose private key every platform's TLS can use.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    public static Task<Stream> ServerAsync(Socket socket, SslStreamCertificateContext context, CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, ssl => ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = Alpn,
            ClientCertificateRequired = false,
            AllowTlsResume = false,
        }, cancellationToken));

    public static Task<Stream> ClientAsync(Socket socket, string thumbprint, CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, ssl => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = Alpn,
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == thumbprint,
        }, cancellationToken));

    /// <summary>
    /// A TLS 1.3 client that accepts the server's certificate when <paramref name="accept"/> says so (the remote
    /// client pins it by SHA-256, or accepts any with --insecure); <paramref name="targetHost"/> is sent as SNI.
    /// </summary>
    public static Task<Stream> ClientAsync(Socket socket, string targetHost, Func<X509Certificate?, bool> accept, CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, ssl => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = Alpn,
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => accept(certificate),
        }, cancellationToken));

    private static async Task<Stream> AuthenticateAsync(Socket socket, Func<SslStream, Task> authenticate)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await authenticate(ssl).ConfigureAwait(false);
            if (ssl.SslProtocol != SslProtocols.Tls13) throw new InvalidOperationException($"TLS negotiated {ssl.SslProtocol}, not TLS 1.3.");
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
