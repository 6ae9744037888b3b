using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>
/// TLS 1.3 settings of a QUIC client connection. Server certificate checks, in order: <see cref="DangerousAcceptAnyServerCertificate"/>;
/// else the chain and name are checked against <see cref="TrustedRoots"/> (or the system store) and then
/// <see cref="CertificateValidationCallback"/> decides if set; else if <see cref="PinnedCertificateSha256"/> is not
/// empty the leaf must match a pin (and be within its validity period); else the chain and name must be valid.
/// </summary>
public sealed class TlsClientOptions
{
    /// <summary>The server's name: sent as SNI (unless an IP literal) and checked against the certificate.</summary>
    public string? ServerName { get; set; }

    /// <summary>The ALPN protocols to offer, most preferred first. QUIC requires at least one (RFC 9001 §8.1).</summary>
    public List<SslApplicationProtocol> ApplicationProtocols { get; set; } = new();

    /// <summary>The cipher suites to offer, most preferred first. Default: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.</summary>
    public List<CipherSuite> CipherSuites { get; set; } = [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256];

    /// <summary>
    /// The key-exchange groups to offer (supported_groups), most preferred first; the first one gets a key share in the
    /// first ClientHello, and a server that wants another of them asks for it with a HelloRetryRequest. Default: x25519,
    /// secp256r1. x25519 comes first because it is the cheaper of the two here: the framework's ECDiffieHellman on
    /// OpenSSL 3 spends more on key objects, point import and validation than the curve arithmetic itself (measured with
    /// <c>setupprobe prims</c>: two key shares and one agreement cost 0.25 ms with x25519, 0.71 ms with secp256r1).
    /// </summary>
    public List<TlsNamedGroup> Groups { get; set; } = [TlsNamedGroup.X25519, TlsNamedGroup.Secp256r1];

    /// <summary>Root certificates to trust instead of the system store (null: the system store).</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    /// <summary>
    /// SHA-256 hashes of acceptable server leaf certificates (of the DER encoding; see <see cref="ComputeCertificatePin"/>).
    /// When not empty, a matching leaf is accepted without chain or name checks: this suits self-signed game servers.
    /// </summary>
    public List<byte[]> PinnedCertificateSha256 { get; set; } = new();

    /// <summary>A custom decision on the server certificate; it sees what the default checks found.</summary>
    public TlsCertificateValidationCallback? CertificateValidationCallback { get; set; }

    /// <summary>INSECURE: accept any server certificate, valid or not. For tests and debugging only.</summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    /// <summary>
    /// Revocation checking for the chain. Default: none. Online checking fetches CRLs/OCSP synchronously inside the
    /// handshake call (missing intermediates are never downloaded); use it only where that blocking is acceptable.
    /// </summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>A ticket from an earlier connection to resume with (RFC 8446 §2.2); ignored when expired or for another server name.</summary>
    public TlsSessionTicket? SessionTicket { get; set; }

    /// <summary>Offer 0-RTT when <see cref="SessionTicket"/> allows it. Early data can be replayed by an attacker: send only idempotent requests in it.</summary>
    public bool EnableEarlyData { get; set; }

    /// <summary>Receives NSS key log lines (see <see cref="TlsKeyLog"/>); null disables key logging.</summary>
    public Action<string>? KeyLog { get; set; }

    /// <summary>The clock for certificate validity and ticket ages.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Whether the server must send quic_transport_parameters (RFC 9001 §8.2). Always true for QUIC; false only lets
    /// tests run this handshake against a plain TLS 1.3 server (for example SslStream over a record-layer shim).
    /// </summary>
    internal bool RequireTransportParameters { get; set; } = true;

    /// <summary>The pin of a certificate for <see cref="PinnedCertificateSha256"/>: SHA-256 of its DER encoding.</summary>
    public static byte[] ComputeCertificatePin(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SHA256.HashData(certificate.RawDataMemory.Span);
    }

    internal void Validate()
    {
        if (ApplicationProtocols is null || ApplicationProtocols.Count == 0)
            throw new ArgumentException("QUIC requires at least one ALPN protocol in ApplicationProtocols (RFC 9001 §8.1).", nameof(ApplicationProtocols));
        if (CipherSuites is null || CipherSuites.Count == 0) throw new ArgumentException("CipherSuites is empty.", nameof(CipherSuites));
        foreach (CipherSuite s in CipherSuites)
            if (!TlsConstants.IsKnownSuite((ushort)s)) throw new ArgumentException($"Unknown cipher suite {s}.", nameof(CipherSuites));
        if (Groups is null || Groups.Count == 0) throw new ArgumentException("Groups is empty.", nameof(Groups));
        foreach (TlsNamedGroup g in Groups)
            if (!TlsConstants.IsKnownGroup((ushort)g)) throw new ArgumentException($"Unknown group {g}.", nameof(Groups));
        foreach (SslApplicationProtocol p in ApplicationProtocols)
            if (p.Protocol.Length is 0 or > 255) throw new ArgumentException("An ALPN protocol must be 1 to 255 bytes.", nameof(ApplicationProtocols));
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (ServerName is not null)
            foreach (char c in ServerName)
                if (c is <= ' ' or > '~')
                    throw new ArgumentException("ServerName must be an ASCII host name (use the xn-- form for international names) or an IP address.", nameof(ServerName));
    }
}
