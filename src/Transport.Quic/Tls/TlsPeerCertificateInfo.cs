using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>
/// What the client needs of a server certificate once it has been parsed: its validity period and its public key for
/// CertificateVerify. One instance serves every connection that receives the same DER bytes (see
/// <see cref="TlsPeerCertificateCache"/>), because parsing DER into an <see cref="X509Certificate2"/> and extracting its
/// key cost more than the signature check itself (about 0.4 ms against 0.13 ms for ECDSA P-256). Trust is never cached:
/// pins, chain and name are checked on every connection; only facts that follow from the bytes alone are kept.
/// </summary>
internal sealed class TlsPeerCertificateInfo
{
    private readonly X509Certificate2 _certificate; // private copy, never handed to the application
    private readonly TlsKeyPool _keys = new(); // public-key objects kept for reuse; more may exist while many threads verify at once

    /// <summary>Parses <paramref name="der"/>; throws CryptographicException when it is not a certificate.</summary>
    public TlsPeerCertificateInfo(byte[] der, byte[] sha256)
    {
        Der = der;
        Sha256 = sha256;
        _certificate = X509CertificateLoader.LoadCertificate(der);
        NotBeforeUtc = _certificate.NotBefore.ToUniversalTime();
        NotAfterUtc = _certificate.NotAfter.ToUniversalTime();
        using (ECDsa? ec = _certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                EcdsaKeySize = ec.KeySize;
                return;
            }
        }
        using RSA? rsa = _certificate.GetRSAPublicKey();
        IsRsa = rsa is not null;
    }

    /// <summary>The certificate's DER encoding (not to be modified).</summary>
    public byte[] Der { get; }

    /// <summary>SHA-256 of <see cref="Der"/>: the certificate's pin.</summary>
    public byte[] Sha256 { get; }

    public DateTime NotBeforeUtc { get; }

    public DateTime NotAfterUtc { get; }

    /// <summary>The ECDSA key size in bits (256, 384, 521), or 0 when the key is not ECDSA.</summary>
    public int EcdsaKeySize { get; }

    /// <summary>True when the key is RSA.</summary>
    public bool IsRsa { get; }

    /// <summary>True when <paramref name="utcNow"/> lies within the certificate's validity period.</summary>
    public bool IsTimeValid(DateTime utcNow) => utcNow >= NotBeforeUtc && utcNow <= NotAfterUtc;

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="content"/> with this certificate's key; false when it does not verify.</summary>
    public bool VerifyData(byte[] content, ReadOnlySpan<byte> signature, HashAlgorithmName hash, bool ecdsa)
    {
        AsymmetricAlgorithm key = RentKey(ecdsa);
        try
        {
            return key is ECDsa ec
                ? ec.VerifyData(content, signature, hash, DSASignatureFormat.Rfc3279DerSequence)
                : ((RSA)key).VerifyData(content, signature, hash, RSASignaturePadding.Pss);
        }
        finally
        {
            _keys.Return(key);
        }
    }

    private AsymmetricAlgorithm RentKey(bool ecdsa)
    {
        if (_keys.TryRent() is { } key) return key;
        return ecdsa
            ? _certificate.GetECDsaPublicKey() ?? throw new TlsAlertException(TlsAlert.IllegalParameter, "The signature scheme is ECDSA but the certificate key is not.")
            : _certificate.GetRSAPublicKey() ?? throw new TlsAlertException(TlsAlert.IllegalParameter, "The signature scheme is RSA-PSS but the certificate key is not RSA.");
    }
}
