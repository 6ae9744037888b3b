using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>
/// One generation of AEAD packet protection for one direction (RFC 9001 §5.3): the AEAD object keyed once, the IV, and
/// the traffic secret kept for deriving the next generation (RFC 9001 §6.1). Not thread-safe; no allocation per packet.
/// </summary>
internal sealed class PayloadProtection : IDisposable
{
    private readonly AesGcm? _aesGcm;
    private readonly ChaCha20Poly1305? _chaCha;
    private readonly byte[] _iv = new byte[KeySchedule.IvLength];
    private readonly byte[] _secret;

    private PayloadProtection(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret, int generation)
    {
        CipherSuite = suite;
        Version = version;
        Generation = generation;
        _secret = secret.ToArray();
        Span<byte> key = stackalloc byte[KeySchedule.MaxKeyLength];
        key = key.Slice(0, KeySchedule.KeyLength(suite));
        KeySchedule.DeriveKey(suite, version, secret, key);
        KeySchedule.DeriveIv(suite, version, secret, _iv);
        if (suite == CipherSuite.ChaCha20Poly1305Sha256)
        {
            if (!ChaCha20Poly1305.IsSupported)
                throw new PlatformNotSupportedException("ChaCha20-Poly1305 is not supported by this platform's cryptography library.");
            _chaCha = new ChaCha20Poly1305(key);
        }
        else
        {
            _aesGcm = new AesGcm(key, KeySchedule.TagLength);
        }
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Derives the AEAD key and IV from <paramref name="secret"/> (RFC 9001 §5.1).</summary>
    public static PayloadProtection Create(CipherSuite suite, QuicVersionParameters version, ReadOnlySpan<byte> secret)
    {
        KeySchedule.ValidateSecret(suite, secret, nameof(secret));
        return new PayloadProtection(suite, version, secret, 0);
    }

    public CipherSuite CipherSuite { get; }

    public QuicVersionParameters Version { get; }

    /// <summary>0 for keys straight from TLS, one more for each key update.</summary>
    public int Generation { get; }

    /// <summary>The IV (for tests).</summary>
    public ReadOnlySpan<byte> Iv => _iv;

    /// <summary>The traffic secret of this generation (for tests and the next key update).</summary>
    public ReadOnlySpan<byte> Secret => _secret;

    /// <summary>How many packets were sealed with this key (for the confidentiality limit, RFC 9001 §6.6).</summary>
    public long EncryptedPackets { get; private set; }

    /// <summary>The next generation: keys and IV from HKDF-Expand-Label(secret, "quic ku", "", Hash.length) (RFC 9001 §6.1).</summary>
    public PayloadProtection DeriveNext()
    {
        Span<byte> next = stackalloc byte[KeySchedule.MaxSecretLength];
        next = next.Slice(0, _secret.Length);
        KeySchedule.DeriveNextSecret(CipherSuite, Version, _secret, next);
        var result = new PayloadProtection(CipherSuite, Version, next, Generation + 1);
        CryptographicOperations.ZeroMemory(next);
        return result;
    }

    /// <summary>
    /// Encrypts <paramref name="payload"/> in place and writes the tag; <paramref name="header"/> is the associated data
    /// (RFC 9001 §5.3).
    /// </summary>
    public void Encrypt(long packetNumber, ReadOnlySpan<byte> header, Span<byte> payload, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[KeySchedule.IvLength];
        MakeNonce(packetNumber, nonce);
        if (_aesGcm is not null) _aesGcm.Encrypt(nonce, payload, payload, tag, header);
        else _chaCha!.Encrypt(nonce, payload, payload, tag, header);
        EncryptedPackets++;
    }

    /// <summary>Decrypts <paramref name="payload"/> in place; false when authentication fails (contents then unspecified).</summary>
    public bool TryDecrypt(long packetNumber, ReadOnlySpan<byte> header, Span<byte> payload, ReadOnlySpan<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[KeySchedule.IvLength];
        MakeNonce(packetNumber, nonce);
        try
        {
            if (_aesGcm is not null) _aesGcm.Decrypt(nonce, payload, tag, payload, header);
            else _chaCha!.Decrypt(nonce, payload, tag, payload, header);
            return true;
        }
        catch (CryptographicException)
        {
            // AuthenticationTagMismatchException derives from CryptographicException: a forged or corrupted packet.
            return false;
        }
    }

    // RFC 9001 §5.3: the 62-bit packet number, left-padded with zeros to the IV length, XORed with the IV.
    internal void MakeNonce(long packetNumber, Span<byte> nonce)
    {
        _iv.CopyTo(nonce);
        ulong tail = BinaryPrimitives.ReadUInt64BigEndian(nonce.Slice(4)) ^ (ulong)packetNumber;
        BinaryPrimitives.WriteUInt64BigEndian(nonce.Slice(4), tail);
    }

    public void Dispose()
    {
        _aesGcm?.Dispose();
        _chaCha?.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
        CryptographicOperations.ZeroMemory(_iv);
    }
}
