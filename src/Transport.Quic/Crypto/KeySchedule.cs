using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>
/// The QUIC key schedule below TLS: from a traffic secret to the AEAD key, IV and header-protection key
/// (RFC 9001 §5.1, §5.4), and from one secret to the next generation's (RFC 9001 §6.1).
/// </summary>
internal static class KeySchedule
{
    /// <summary>The AEAD nonce length, and so the IV length, of every QUIC v1 cipher suite (RFC 8446 §5.3: max(8, N_MIN) = 12).</summary>
    public const int IvLength = 12;

    /// <summary>The AEAD authentication tag length of every QUIC v1 cipher suite (RFC 9001 §5.3).</summary>
    public const int TagLength = 16;

    /// <summary>The longest hash output among the suites (SHA-384), for stack buffers.</summary>
    public const int MaxSecretLength = 48;

    /// <summary>The longest AEAD or header-protection key among the suites.</summary>
    public const int MaxKeyLength = 32;

    /// <summary>The hash of the suite's HKDF.</summary>
    public static HashAlgorithmName Hash(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes128GcmSha256 => HashAlgorithmName.SHA256,
        CipherSuite.Aes256GcmSha384 => HashAlgorithmName.SHA384,
        CipherSuite.ChaCha20Poly1305Sha256 => HashAlgorithmName.SHA256,
        _ => throw UnknownSuite(suite),
    };

    /// <summary>Hash.length, the length of the suite's traffic secrets.</summary>
    public static int SecretLength(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes128GcmSha256 => 32,
        CipherSuite.Aes256GcmSha384 => 48,
        CipherSuite.ChaCha20Poly1305Sha256 => 32,
        _ => throw UnknownSuite(suite),
    };

    /// <summary>The AEAD key length, which is also the header-protection key length (RFC 9001 §5.4.3, §5.4.4).</summary>
    public static int KeyLength(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes128GcmSha256 => 16,
        CipherSuite.Aes256GcmSha384 => 32,
        CipherSuite.ChaCha20Poly1305Sha256 => 32,
        _ => throw UnknownSuite(suite),
    };

    /// <summary>key = HKDF-Expand-Label(secret, "quic key", "", key_length) (RFC 9001 §5.1).</summary>
    public static void DeriveKey(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret, Span<byte> key) =>
        HkdfLabel.Expand(Hash(suite), secret, version.KeyLabel, default, key.Slice(0, KeyLength(suite)));

    /// <summary>iv = HKDF-Expand-Label(secret, "quic iv", "", 12) (RFC 9001 §5.1).</summary>
    public static void DeriveIv(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret, Span<byte> iv) =>
        HkdfLabel.Expand(Hash(suite), secret, version.IvLabel, default, iv.Slice(0, IvLength));

    /// <summary>hp = HKDF-Expand-Label(secret, "quic hp", "", key_length) (RFC 9001 §5.4.1).</summary>
    public static void DeriveHeaderProtectionKey(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret, Span<byte> hp) =>
        HkdfLabel.Expand(Hash(suite), secret, version.HpLabel, default, hp.Slice(0, KeyLength(suite)));

    /// <summary>secret_&lt;n+1&gt; = HKDF-Expand-Label(secret_&lt;n&gt;, "quic ku", "", Hash.length) (RFC 9001 §6.1).</summary>
    public static void DeriveNextSecret(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret, Span<byte> next) =>
        HkdfLabel.Expand(Hash(suite), secret, version.KuLabel, default, next.Slice(0, SecretLength(suite)));

    /// <summary>Checks that <paramref name="secret"/> is Hash.length bytes for <paramref name="suite"/>.</summary>
    public static void ValidateSecret(CipherSuite suite, ReadOnlySpan<byte> secret, string paramName)
    {
        int expected = SecretLength(suite);
        if (secret.Length != expected)
            throw new ArgumentException($"A {suite} traffic secret is {expected} bytes (Hash.length); got {secret.Length}.", paramName);
    }

    private static ArgumentException UnknownSuite(CipherSuite suite) =>
        new($"Cipher suite 0x{(ushort)suite:x4} is not one QUIC packet protection supports.", nameof(suite));
}
