namespace Transport.Quic.Crypto;

/// <summary>
/// AEAD usage limits (RFC 9001 §6.6). An endpoint must update keys before it has sealed
/// <see cref="ConfidentialityLimit"/> packets with one key, and must close the connection with AEAD_LIMIT_REACHED once
/// <see cref="IntegrityLimit"/> packets have failed authentication across all keys of the connection.
/// </summary>
public static class AeadLimits
{
    /// <summary>Confidentiality limit of AEAD_AES_128_GCM and AEAD_AES_256_GCM: 2^23 packets (RFC 9001 §6.6).</summary>
    public const long AesGcmConfidentialityLimit = 1L << 23;

    /// <summary>Integrity limit of AEAD_AES_128_GCM and AEAD_AES_256_GCM: 2^52 forged packets (RFC 9001 §6.6).</summary>
    public const long AesGcmIntegrityLimit = 1L << 52;

    /// <summary>
    /// Confidentiality limit of AEAD_CHACHA20_POLY1305: larger than the number of possible packets (2^62), so it can be
    /// disregarded (RFC 9001 §6.6); expressed as <see cref="long.MaxValue"/>.
    /// </summary>
    public const long ChaCha20Poly1305ConfidentialityLimit = long.MaxValue;

    /// <summary>Integrity limit of AEAD_CHACHA20_POLY1305: 2^36 forged packets (RFC 9001 §6.6).</summary>
    public const long ChaCha20Poly1305IntegrityLimit = 1L << 36;

    /// <summary>The confidentiality limit of <paramref name="suite"/>'s AEAD, in packets sealed with one key.</summary>
    /// <exception cref="ArgumentException">Unknown suite.</exception>
    public static long ConfidentialityLimit(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes128GcmSha256 or CipherSuite.Aes256GcmSha384 => AesGcmConfidentialityLimit,
        CipherSuite.ChaCha20Poly1305Sha256 => ChaCha20Poly1305ConfidentialityLimit,
        _ => throw new ArgumentException($"Cipher suite 0x{(ushort)suite:x4} has no known AEAD limits.", nameof(suite)),
    };

    /// <summary>The integrity limit of <paramref name="suite"/>'s AEAD, in packets that failed authentication.</summary>
    /// <exception cref="ArgumentException">Unknown suite.</exception>
    public static long IntegrityLimit(CipherSuite suite) => suite switch
    {
        CipherSuite.Aes128GcmSha256 or CipherSuite.Aes256GcmSha384 => AesGcmIntegrityLimit,
        CipherSuite.ChaCha20Poly1305Sha256 => ChaCha20Poly1305IntegrityLimit,
        _ => throw new ArgumentException($"Cipher suite 0x{(ushort)suite:x4} has no known AEAD limits.", nameof(suite)),
    };
}
