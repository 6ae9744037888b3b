using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>AES-based header protection (RFC 9001 §5.4.3): mask = AES-ECB(hp_key, sample), with AES-128 or AES-256.</summary>
/// <remarks>
/// <see cref="SymmetricAlgorithm.EncryptEcb(ReadOnlySpan{byte}, Span{byte}, PaddingMode)"/> creates a native cipher
/// context per call (64 bytes allocated per packet on .NET 10, Linux), so this class keeps one ECB encryptor
/// (<see cref="ICryptoTransform"/>) for the key's lifetime and runs single blocks through it with reused buffers.
/// </remarks>
internal sealed class AesHeaderProtection : HeaderProtection
{
    // Only a factory of ECB encryptors (never keyed itself: CreateEncryptor(key, iv) leaves its Key unset), one per
    // thread rather than one per key: Aes.Create with its Mode and Padding setters cost ~0.9 us of each key's setup.
    [ThreadStatic] private static Aes? t_ecbFactory;
    private readonly ICryptoTransform _encryptor;
    private readonly byte[] _input = new byte[16];
    private readonly byte[] _output = new byte[16];

    public AesHeaderProtection(ReadOnlySpan<byte> key)
    {
        Aes factory = t_ecbFactory ??= CreateEcbFactory();
        // The key goes straight to the encryptor: CreateEncryptor() would read the IV property, which generates a random
        // IV (a CSPRNG call ECB ignores), and setting Key copies and validates the key once more (7.3 vs 3.2 us, hsprims).
        byte[] k = key.ToArray();
        _encryptor = factory.CreateEncryptor(k, null);
        CryptographicOperations.ZeroMemory(k);
    }

    private static Aes CreateEcbFactory()
    {
        var aes = Aes.Create();
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        return aes;
    }

    public override void ComputeMask(ReadOnlySpan<byte> sample, Span<byte> mask)
    {
        sample.Slice(0, SampleLength).CopyTo(_input);
        // ECB without padding: each 16-byte block is encrypted independently, with no state carried between calls.
        _encryptor.TransformBlock(_input, 0, 16, _output, 0);
        _output.AsSpan(0, MaskLength).CopyTo(mask);
    }

    // RFC 9001 §5.4.3: the mask of each sample is its AES-ECB encryption; ECB encrypts blocks independently, so one pass
    // over the concatenated samples gives every mask with one framework call.
    protected override void ComputeMasks(byte[] samples, byte[] masks, int count)
    {
        int n = _encryptor.TransformBlock(samples, 0, count * SampleLength, masks, 0);
        if (n != count * SampleLength)
            throw new CryptographicException($"AES-ECB returned {n} bytes for {count * SampleLength} (header protection).");
    }

    public override void Dispose()
    {
        _encryptor.Dispose();
        Array.Clear(_input);
        Array.Clear(_output);
    }
}
