using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>
/// The server's CertificateVerify key for one certificate object: the key type and size (for the scheme choice) and a
/// small pool of private-key objects, made once per certificate instead of on every handshake (each
/// <c>GetECDsaPrivateKey</c>/<c>GetECDsaPublicKey</c> call makes a new native key object). Kept beside the certificate in
/// a weak table, so it lives as long as the application keeps the certificate.
/// </summary>
internal sealed class TlsServerSigningKey
{
    private static readonly ConditionalWeakTable<X509Certificate2, TlsServerSigningKey> Keys = new();

    private readonly X509Certificate2 _certificate;
    private readonly TlsKeyPool _keys = new();

    private TlsServerSigningKey(X509Certificate2 certificate)
    {
        _certificate = certificate;
        using (ECDsa? ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                EcdsaKeySize = ec.KeySize;
                return;
            }
        }
        using RSA? rsa = certificate.GetRSAPublicKey();
        IsRsa = rsa is not null;
    }

    /// <summary>The signing key of <paramref name="certificate"/>, made on first use.</summary>
    public static TlsServerSigningKey For(X509Certificate2 certificate) => Keys.GetValue(certificate, static c => new TlsServerSigningKey(c));

    /// <summary>The ECDSA key size in bits (256, 384, 521), or 0 when the key is not ECDSA.</summary>
    public int EcdsaKeySize { get; }

    /// <summary>True when the key is RSA.</summary>
    public bool IsRsa { get; }

    /// <summary>Signs <paramref name="content"/>: ECDSA (DER signature) or RSA-PSS, with <paramref name="hash"/>.</summary>
    public byte[] SignData(byte[] content, HashAlgorithmName hash)
    {
        AsymmetricAlgorithm key = Rent();
        try
        {
            return key is ECDsa ec
                ? ec.SignData(content, hash, DSASignatureFormat.Rfc3279DerSequence)
                : ((RSA)key).SignData(content, hash, RSASignaturePadding.Pss);
        }
        finally
        {
            _keys.Return(key);
        }
    }

    private AsymmetricAlgorithm Rent()
    {
        if (_keys.TryRent() is { } key) return key;
        return EcdsaKeySize != 0
            ? _certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The certificate has no ECDSA private key.")
            : _certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("The certificate has no RSA private key.");
    }
}
