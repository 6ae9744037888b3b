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
    /// Applies header protection to many sealed packets of one buffer (RFC 9001 §5.4.1), the same as calling
    /// <see cref="Apply"/> on each, but computes all the masks in one cipher call where the cipher allows it (AES: one
    /// ECB pass over the concatenated samples; each framework call costs far more than the block itself). The caller
    /// guarantees that every sample fits inside <paramref name="buffer"/>.
    /// </summary>
    public void ApplyBatch(Span<byte> buffer, ReadOnlySpan<HeaderProtectionTarget> targets)
    {
        int count = targets.Length;
        if (count == 0) return;
        if (count == 1)
        {
            var t = targets[0];
            Apply(buffer.Slice(t.PacketStart), t.PacketNumberOffset - t.PacketStart, t.PacketNumberLength);
            return;
        }
        byte[] samples = t_samples is { } a && a.Length >= count * SampleLength ? a : t_samples = new byte[Math.Max(count, 64) * SampleLength];
        byte[] masks = t_masks is { } m && m.Length >= samples.Length ? m : t_masks = new byte[samples.Length];
        for (int i = 0; i < count; i++)
            buffer.Slice(targets[i].PacketNumberOffset + SampleOffsetFromPacketNumber, SampleLength).CopyTo(samples.AsSpan(i * SampleLength));
        ComputeMasks(samples, masks, count);
        for (int i = 0; i < count; i++)
        {
            var t = targets[i];
            ReadOnlySpan<byte> mask = masks.AsSpan(i * SampleLength, MaskLength);
            ref byte first = ref buffer[t.PacketStart];
            // RFC 9001 §5.4.1: long headers mask 4 bits of the first byte, short headers 5.
            first ^= (byte)(mask[0] & ((first & 0x80) != 0 ? 0x0f : 0x1f));
            for (int j = 0; j < t.PacketNumberLength; j++) buffer[t.PacketNumberOffset + j] ^= mask[1 + j];
        }
    }

    // Within one ApplyBatch call: per thread, not per key (a connection's memory stays as it was).
    [ThreadStatic] private static byte[]? t_samples;
    [ThreadStatic] private static byte[]? t_masks;

    /// <summary>
    /// Computes <paramref name="count"/> masks: for each 16-byte sample at <c>i * 16</c> of <paramref name="samples"/>,
    /// at least the first <see cref="MaskLength"/> bytes of its mask at <c>i * 16</c> of <paramref name="masks"/>.
    /// The default calls <see cref="ComputeMask"/> once per sample.
    /// </summary>
    protected virtual void ComputeMasks(byte[] samples, byte[] masks, int count)
    {
        for (int i = 0; i < count; i++)
            ComputeMask(samples.AsSpan(i * SampleLength, SampleLength), masks.AsSpan(i * SampleLength, MaskLength));
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
