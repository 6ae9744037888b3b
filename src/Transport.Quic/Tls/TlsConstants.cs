using System.Security.Cryptography;

namespace Transport.Quic.Tls;

/// <summary>Code points and fixed values of TLS 1.3 (RFC 8446) as QUIC uses it (RFC 9001).</summary>
internal static class TlsConstants
{
    // RFC 8446 §4: HandshakeType.
    public const byte ClientHello = 1;
    public const byte ServerHello = 2;
    public const byte NewSessionTicket = 4;
    public const byte EndOfEarlyData = 5;
    public const byte EncryptedExtensions = 8;
    public const byte Certificate = 11;
    public const byte CertificateRequest = 13;
    public const byte CertificateVerify = 15;
    public const byte Finished = 20;
    public const byte KeyUpdate = 24;
    public const byte MessageHash = 254;

    // RFC 8446 §4.2: ExtensionType; RFC 9001 §8.2: quic_transport_parameters.
    public const ushort ExtServerName = 0;
    public const ushort ExtSupportedGroups = 10;
    public const ushort ExtSignatureAlgorithms = 13;
    public const ushort ExtAlpn = 16;
    public const ushort ExtPreSharedKey = 41;
    public const ushort ExtEarlyData = 42;
    public const ushort ExtSupportedVersions = 43;
    public const ushort ExtCookie = 44;
    public const ushort ExtPskKeyExchangeModes = 45;
    public const ushort ExtSignatureAlgorithmsCert = 50;
    public const ushort ExtKeyShare = 51;
    public const ushort ExtQuicTransportParameters = 0x39;

    public const ushort LegacyVersion = 0x0303;
    public const ushort Tls13 = 0x0304;
    public const byte PskDheKe = 1;

    // RFC 8446 §4.2.3: SignatureScheme.
    public const ushort RsaPkcs1Sha256 = 0x0401;
    public const ushort RsaPkcs1Sha384 = 0x0501;
    public const ushort RsaPkcs1Sha512 = 0x0601;
    public const ushort EcdsaSecp256r1Sha256 = 0x0403;
    public const ushort EcdsaSecp384r1Sha384 = 0x0503;
    public const ushort EcdsaSecp521r1Sha512 = 0x0603;
    public const ushort RsaPssRsaeSha256 = 0x0804;
    public const ushort RsaPssRsaeSha384 = 0x0805;
    public const ushort RsaPssRsaeSha512 = 0x0806;

    /// <summary>What the client offers in signature_algorithms. The PKCS#1 schemes are valid only for signatures inside certificates (RFC 8446 §4.2.3).</summary>
    public static readonly ushort[] OfferedSignatureSchemes =
    [
        EcdsaSecp256r1Sha256, RsaPssRsaeSha256, EcdsaSecp384r1Sha384, RsaPssRsaeSha384, RsaPssRsaeSha512,
        EcdsaSecp521r1Sha512, RsaPkcs1Sha256, RsaPkcs1Sha384, RsaPkcs1Sha512,
    ];

    /// <summary>The largest handshake message we accept (certificate chains included). Larger ones end the handshake.</summary>
    public const int MaxMessageSize = 64 * 1024;

    /// <summary>max_early_data_size in a QUIC NewSessionTicket must be 0xffffffff (RFC 9001 §4.6.1).</summary>
    public const uint QuicMaxEarlyDataSize = 0xffffffff;

    /// <summary>The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).</summary>
    public static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    public static HashAlgorithmName HashOf(CipherSuite suite) =>
        suite == CipherSuite.Aes256GcmSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public static int HashLength(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA384 ? 48 : 32;

    public static bool IsKnownSuite(ushort v) => v is 0x1301 or 0x1302 or 0x1303;

    public static bool IsKnownGroup(ushort v) => v is 0x0017 or 0x0018 or 0x001d;

    public static byte[] Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data) : SHA256.HashData(data);
}
