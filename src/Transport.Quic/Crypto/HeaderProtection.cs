namespace Transport.Quic.Crypto;

/// <summary>
/// A header-protection key (RFC 9001 §5.4): computes the 5-byte mask from a 16-byte sample of the ciphertext, and
/// applies or removes it on a packet. One instance per key; not thread-safe; no allocation per packet.
/// </summary>
internal abstract class HeaderProtection : IDisposable
{
    /// <summary>The length of the ciphertext sample (RFC 9001 §5.4.2).</summary>
    public const int SampleLength = 16;

    /// <summary>The number of mask bytes used: one for the first byte, up to four for the packet number.</summary>
    public const int MaskLength = 5;

    /// <summary>The sample starts this many bytes after the start of the Packet Number field (RFC 9001 §5.4.2).</summary>
    public const int SampleOffsetFromPacketNumber = 4;

    /// <summary>Creates the header-protection function of <paramref name="suite"/> keyed with <paramref name="key"/>.</summary>
    public static HeaderProtection Create(CipherSuite suite, ReadOnlySpan<byte> key)
    {
        int expected = KeySchedule.KeyLength(suite);
        if (key.Length != expected)
            throw new ArgumentException($"A {suite} header-protection key is {expected} bytes; got {key.Length}.", nameof(key));
        return suite == CipherSuite.ChaCha20Poly1305Sha256
            ? new ChaCha20HeaderProtection(key)
            : new AesHeaderProtection(key);
    }

    /// <summary>Writes the first <see cref="MaskLength"/> bytes of header_protection(hp_key, sample) into <paramref name="mask"/>.</summary>
    public abstract void ComputeMask(ReadOnlySpan<byte> sample, Span<byte> mask);

    /// <summary>
    /// Applies header protection (RFC 9001 §5.4.1, Figure 6) to an unprotected packet whose Packet Number field starts at
    /// <paramref name="packetNumberOffset"/> and is <paramref name="packetNumberLength"/> bytes. The caller guarantees
    /// that the sample fits.
    /// </summary>
    public void Apply(Span<byte> packet, int packetNumberOffset, int packetNumberLength)
    {
        Span<byte> mask = stackalloc byte[MaskLength];
        ComputeMask(packet.Slice(packetNumberOffset + SampleOffsetFromPacketNumber, SampleLength), mask);
        // RFC 9001 §5.4.1: long headers mask 4 bits of the first byte, short headers 5.
        packet[0] ^= (byte)(mask[0] & ((packet[0] & 0x80) != 0 ? 0x0f : 0x1f));
        for (int i = 0; i < packetNumberLength; i++) packet[packetNumberOffset + i] ^= mask[1 + i];
    }

    /// <summary>
    /// Removes header protection: unmasks the first byte, reads the packet number length from it, then unmasks and
    /// reads the truncated packet number. Returns false (packet untouched) when the packet is too short to hold a sample.
    /// </summary>
    public bool TryRemove(Span<byte> packet, int packetNumberOffset, out int packetNumberLength, out long truncatedPacketNumber)
    {
        packetNumberLength = 0;
        truncatedPacketNumber = 0;
        if (packetNumberOffset < 1 || packet.Length - packetNumberOffset < SampleOffsetFromPacketNumber + SampleLength)
            return false;
        Span<byte> mask = stackalloc byte[MaskLength];
        ComputeMask(packet.Slice(packetNumberOffset + SampleOffsetFromPacketNumber, SampleLength), mask);
        // RFC 9001 §5.4.1: unmask the first byte first, then read pn_length from it.
        packet[0] ^= (byte)(mask[0] & ((packet[0] & 0x80) != 0 ? 0x0f : 0x1f));
        packetNumberLength = (packet[0] & 0x03) + 1;
        long pn = 0;
        for (int i = 0; i < packetNumberLength; i++)
        {
            byte b = (byte)(packet[packetNumberOffset + i] ^ mask[1 + i]);
            packet[packetNumberOffset + i] = b;
            pn = (pn << 8) | b;
        }
        truncatedPacketNumber = pn;
        return true;
    }

    /// <inheritdoc />
    public abstract void Dispose();
}
