namespace Transport.Quic.Frames;

/// <summary>CRYPTO (RFC 9000 §19.6): TLS handshake bytes at an offset of the crypto stream of one encryption level.</summary>
public readonly ref struct CryptoFrame
{
    /// <summary>Describes a CRYPTO frame.</summary>
    public CryptoFrame(ulong offset, ReadOnlySpan<byte> data)
    {
        Offset = offset;
        Data = data;
    }

    /// <summary>The byte offset of <see cref="Data"/> in the crypto stream.</summary>
    public ulong Offset { get; }

    /// <summary>The crypto data (a slice of the packet payload when read).</summary>
    public ReadOnlySpan<byte> Data { get; }
}
