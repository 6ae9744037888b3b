using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>AES-based header protection (RFC 9001 §5.4.3): mask = AES-ECB(hp_key, sample), with AES-128 or AES-256.</summary>
internal sealed class AesHeaderProtection : HeaderProtection
{
    private readonly Aes _aes;

    public AesHeaderProtection(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
    }

    public override void ComputeMask(ReadOnlySpan<byte> sample, Span<byte> mask)
    {
        Span<byte> block = stackalloc byte[16];
        _aes.EncryptEcb(sample.Slice(0, SampleLength), block, PaddingMode.None);
        block.Slice(0, MaskLength).CopyTo(mask);
    }

    public override void Dispose() => _aes.Dispose();
}
