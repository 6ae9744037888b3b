using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>TLS 1.3 settings of a QUIC server. One instance may serve many connections (it holds the ticket keys and the replay cache).</summary>
public sealed class TlsServerOptions
{
    /// <summary>The server's certificate with its private key: ECDSA (P-256, P-384, P-521) or RSA (signed with RSA-PSS). Ed25519 is not supported.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// Picks the certificate (with private key) by the client's SNI host name (null when the client sent none).
    /// Return null to refuse the name (alert unrecognized_name). When set, it wins over <see cref="ServerCertificate"/>;
    /// <see cref="ServerCertificateChain"/> is sent only with <see cref="ServerCertificate"/>.
    /// </summary>
    public Func<string?, X509Certificate2?>? ServerCertificateSelector { get; set; }

    /// <summary>Intermediate certificates sent after the leaf, in order (leaf's issuer first).</summary>
    public X509Certificate2Collection? ServerCertificateChain { get; set; }

    /// <summary>The ALPN protocols served, most preferred first; the server picks the first one the client offered.</summary>
    public List<SslApplicationProtocol> ApplicationProtocols { get; set; } = new();

    /// <summary>Allowed cipher suites, most preferred first. Default: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.</summary>
    public List<CipherSuite> CipherSuites { get; set; } = [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256];

    /// <summary>
    /// Allowed groups, most preferred first: of the groups the client sent key shares for, the first in this list is
    /// chosen; a group the client sent a share for wins over HelloRetryRequest. Default: x25519, secp256r1, secp384r1
    /// (x25519 is the cheapest of them here; see <see cref="TlsClientOptions.Groups"/>).
    /// </summary>
    public List<TlsNamedGroup> Groups { get; set; } = [TlsNamedGroup.X25519, TlsNamedGroup.Secp256r1, TlsNamedGroup.Secp384r1];

    /// <summary>Keys to seal session tickets; null: no tickets are issued and resumption is refused.</summary>
    public TlsSessionTicketKeys? SessionTicketKeys { get; set; }

    /// <summary>Ticket lifetime (at most 7 days, RFC 8446 §4.6.1). Default 1 day.</summary>
    public TimeSpan SessionTicketLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Issue tickets that allow 0-RTT and accept early data on resumption. Default false.</summary>
    public bool EnableEarlyData { get; set; }

    /// <summary>
    /// Extra 0-RTT policy, given the application data stored in the ticket (for example the server's transport
    /// parameters then): return false to refuse early data while still resuming.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, bool>? EarlyDataFilter { get; set; }

    /// <summary>How far the client's view of the ticket age may differ from the server's for 0-RTT (RFC 8446 §8.3). Default 10 s.</summary>
    public TimeSpan MaxTicketAgeSkew { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Remembers tickets already used for 0-RTT (single use). Share one cache among all connections of a server.</summary>
    public TlsReplayCache ReplayCache { get; set; } = new();

    /// <summary>Receives NSS key log lines (see <see cref="TlsKeyLog"/>); null disables key logging.</summary>
    public Action<string>? KeyLog { get; set; }

    /// <summary>The clock for ticket creation and ticket ages.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// QUIC rules a plain TLS 1.3 client breaks (quic_transport_parameters required, RFC 9001 §8.2; empty
    /// legacy_session_id, §8.4). Always true for QUIC; false only lets tests run against SslStream through a record-layer shim.
    /// </summary>
    internal bool EnforceQuicRules { get; set; } = true;

    internal void Validate()
    {
        if (ServerCertificate is null && ServerCertificateSelector is null)
            throw new ArgumentException("ServerCertificate (or ServerCertificateSelector) is required.", nameof(ServerCertificate));
        if (ServerCertificate is not null && !ServerCertificate.HasPrivateKey) throw new ArgumentException("ServerCertificate has no private key.", nameof(ServerCertificate));
        if (ApplicationProtocols is null || ApplicationProtocols.Count == 0)
            throw new ArgumentException("QUIC requires at least one ALPN protocol in ApplicationProtocols (RFC 9001 §8.1).", nameof(ApplicationProtocols));
        if (CipherSuites is null || CipherSuites.Count == 0) throw new ArgumentException("CipherSuites is empty.", nameof(CipherSuites));
        foreach (CipherSuite s in CipherSuites)
            if (!TlsConstants.IsKnownSuite((ushort)s)) throw new ArgumentException($"Unknown cipher suite {s}.", nameof(CipherSuites));
        if (Groups is null || Groups.Count == 0) throw new ArgumentException("Groups is empty.", nameof(Groups));
        foreach (TlsNamedGroup g in Groups)
            if (!TlsConstants.IsKnownGroup((ushort)g)) throw new ArgumentException($"Unknown group {g}.", nameof(Groups));
        if (SessionTicketLifetime <= TimeSpan.Zero || SessionTicketLifetime > TimeSpan.FromDays(7))
            throw new ArgumentException("SessionTicketLifetime must be within (0, 7 days].", nameof(SessionTicketLifetime));
        ArgumentNullException.ThrowIfNull(ReplayCache);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
