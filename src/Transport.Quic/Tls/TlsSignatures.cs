using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Transport.Quic.Tls;

/// <summary>CertificateVerify signing and verification (RFC 8446 §4.4.3).</summary>
internal static class TlsSignatures
{
    private static readonly byte[] ServerContext = Encoding.ASCII.GetBytes("TLS 1.3, server CertificateVerify");

    /// <summary>64 spaces || context string || 0 || transcript hash.</summary>
    public static byte[] ServerSignedContent(ReadOnlySpan<byte> transcriptHash)
    {
        byte[] content = new byte[64 + ServerContext.Length + 1 + transcriptHash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        ServerContext.CopyTo(content, 64);
        content[64 + ServerContext.Length] = 0;
        transcriptHash.CopyTo(content.AsSpan(64 + ServerContext.Length + 1));
        return content;
    }

    /// <summary>The scheme the server signs with: the first the client offered that fits the certificate's key; null when none fits.</summary>
    public static ushort? ChooseScheme(X509Certificate2 certificate, IReadOnlyList<ushort> offered)
    {
        TlsServerSigningKey key = TlsServerSigningKey.For(certificate);
        if (key.EcdsaKeySize != 0)
        {
            ushort scheme = key.EcdsaKeySize switch
            {
                256 => TlsConstants.EcdsaSecp256r1Sha256,
                384 => TlsConstants.EcdsaSecp384r1Sha384,
                521 => TlsConstants.EcdsaSecp521r1Sha512,
                _ => 0,
            };
            return scheme != 0 && Contains(offered, scheme) ? scheme : null;
        }
        if (key.IsRsa)
        {
            foreach (ushort s in offered)
                if (s is TlsConstants.RsaPssRsaeSha256 or TlsConstants.RsaPssRsaeSha384 or TlsConstants.RsaPssRsaeSha512) return s;
        }
        return null;
    }

    /// <summary>The CertificateVerify signature with <paramref name="certificate"/>'s private key (kept per certificate, see <see cref="TlsServerSigningKey"/>).</summary>
    public static byte[] Sign(X509Certificate2 certificate, ushort scheme, byte[] content) =>
        TlsServerSigningKey.For(certificate).SignData(content, HashOf(scheme));

    /// <summary>Verifies the server's CertificateVerify; illegal_parameter for a scheme we did not offer or that does not fit the key, decrypt_error for a bad signature.</summary>
    public static void Verify(TlsPeerCertificateInfo certificate, ushort scheme, ReadOnlySpan<byte> signature, byte[] content)
    {
        // RFC 8446 §4.4.3: the scheme must be one the client offered; PKCS#1 v1.5 never signs CertificateVerify.
        if (scheme is not (TlsConstants.EcdsaSecp256r1Sha256 or TlsConstants.EcdsaSecp384r1Sha384 or TlsConstants.EcdsaSecp521r1Sha512
            or TlsConstants.RsaPssRsaeSha256 or TlsConstants.RsaPssRsaeSha384 or TlsConstants.RsaPssRsaeSha512))
            throw new TlsAlertException(TlsAlert.IllegalParameter, $"CertificateVerify uses signature scheme 0x{scheme:x4}, which was not offered.");
        bool ecdsa = IsEcdsa(scheme);
        if (ecdsa)
        {
            if (certificate.EcdsaKeySize == 0) throw new TlsAlertException(TlsAlert.IllegalParameter, "The signature scheme is ECDSA but the certificate key is not.");
            int expectedSize = scheme switch { TlsConstants.EcdsaSecp256r1Sha256 => 256, TlsConstants.EcdsaSecp384r1Sha384 => 384, _ => 521 };
            if (certificate.EcdsaKeySize != expectedSize) throw new TlsAlertException(TlsAlert.IllegalParameter, "The ECDSA scheme does not match the certificate's curve.");
        }
        else if (!certificate.IsRsa)
        {
            throw new TlsAlertException(TlsAlert.IllegalParameter, "The signature scheme is RSA-PSS but the certificate key is not RSA.");
        }
        if (!certificate.VerifyData(content, signature, HashOf(scheme), ecdsa))
            throw new TlsAlertException(TlsAlert.DecryptError, "The server's CertificateVerify signature does not verify.");
    }

    private static bool IsEcdsa(ushort scheme) => (scheme & 0xff) == 0x03;

    private static HashAlgorithmName HashOf(ushort scheme) => scheme switch
    {
        TlsConstants.EcdsaSecp256r1Sha256 or TlsConstants.RsaPssRsaeSha256 => HashAlgorithmName.SHA256,
        TlsConstants.EcdsaSecp384r1Sha384 or TlsConstants.RsaPssRsaeSha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static bool Contains(IReadOnlyList<ushort> list, ushort v)
    {
        foreach (ushort x in list) if (x == v) return true;
        return false;
    }
}
