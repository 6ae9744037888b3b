using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>The client's decision on the server certificate (see <see cref="TlsClientOptions"/> for the order of checks).</summary>
internal static class TlsCertificateValidator
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Throws a TlsAlertException with the RFC 8446 §6.2 alert that fits the problem. The pinned and accept-any paths work
    /// from the shared parsed <paramref name="leaf"/> alone; the chain path makes this connection's own leaf object
    /// (returned in <paramref name="leafCertificate"/>, null otherwise) for the chain and the callback.
    /// </summary>
    public static void Validate(TlsClientOptions options, TlsPeerCertificateInfo leaf, List<X509Certificate2> intermediates,
        out X509Certificate2? leafCertificate)
    {
        leafCertificate = null;
        if (options.DangerousAcceptAnyServerCertificate) return;
        DateTimeOffset now = options.TimeProvider.GetUtcNow();

        if (options.CertificateValidationCallback is null && options.PinnedCertificateSha256.Count > 0)
        {
            bool matched = false;
            foreach (byte[] p in options.PinnedCertificateSha256)
                if (p is not null && CryptographicOperations.FixedTimeEquals(p, leaf.Sha256)) { matched = true; break; }
            if (!matched) throw new TlsAlertException(TlsAlert.BadCertificate, "The server certificate matches no pinned SHA-256 hash.");
            if (!leaf.IsTimeValid(now.UtcDateTime))
                throw new TlsAlertException(TlsAlert.CertificateExpired, "The pinned server certificate is expired or not yet valid.");
            return;
        }

        leafCertificate = X509CertificateLoader.LoadCertificate(leaf.Der);
        ValidateChainAndName(options, leafCertificate, intermediates, now);
    }

    private static void ValidateChainAndName(TlsClientOptions options, X509Certificate2 leaf, List<X509Certificate2> intermediates, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = options.RevocationMode;
        // The handshake runs inside the connection's state machine: no network fetches of missing intermediates.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        foreach (X509Certificate2 c in intermediates) chain.ChainPolicy.ExtraStore.Add(c);
        if (options.TrustedRoots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(options.TrustedRoots);
        }

        SslPolicyErrors errors = SslPolicyErrors.None;
        if (!chain.Build(leaf)) errors |= SslPolicyErrors.RemoteCertificateChainErrors;
        if (!MatchesName(leaf, options.ServerName)) errors |= SslPolicyErrors.RemoteCertificateNameMismatch;

        if (options.CertificateValidationCallback is not null)
        {
            if (!options.CertificateValidationCallback(leaf, chain, options.ServerName, errors))
                throw new TlsAlertException(TlsAlert.BadCertificate, $"The certificate validation callback refused the server certificate ({errors}).");
            return;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
            foreach (X509ChainStatus s in chain.ChainStatus) flags |= s.Status;
            if (flags == X509ChainStatusFlags.NoError)
                foreach (X509ChainElement e in chain.ChainElements)
                    foreach (X509ChainStatus s in e.ChainElementStatus) flags |= s.Status;
            string detail = $"The server certificate chain is not valid: {flags}.";
            if ((flags & X509ChainStatusFlags.Revoked) != 0) throw new TlsAlertException(TlsAlert.CertificateRevoked, detail);
            if ((flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0)
                throw new TlsAlertException(TlsAlert.CertificateExpired, detail);
            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
                throw new TlsAlertException(TlsAlert.UnknownCa, detail);
            if ((flags & X509ChainStatusFlags.RevocationStatusUnknown) != 0) throw new TlsAlertException(TlsAlert.CertificateUnknown, detail);
            throw new TlsAlertException(TlsAlert.BadCertificate, detail);
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            throw new TlsAlertException(TlsAlert.BadCertificate,
                options.ServerName is null ? "No ServerName is set, so the certificate cannot be checked against it." : $"The server certificate is not valid for '{options.ServerName}'.");
    }

    private static bool MatchesName(X509Certificate2 leaf, string? serverName)
    {
        if (string.IsNullOrEmpty(serverName)) return false;
        try
        {
            return leaf.MatchesHostname(serverName, allowWildcards: true, allowCommonName: false);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>SNI carries host names only, not IP literals (RFC 6066 §3).</summary>
    public static bool IsSniName(string? serverName) =>
        !string.IsNullOrEmpty(serverName) && !IPAddress.TryParse(serverName, out _);
}
