using Transport.Core.Wire;

namespace Transport.Quic.Packets;

/// <summary>Packet number truncation and reconstruction (RFC 9000 §17.1, Appendix A.2 and A.3).</summary>
public static class PacketNumber
{
    /// <summary>The largest packet number: 2^62-1 (RFC 9000 §12.3).</summary>
    public const ulong MaxValue = VarInt.MaxValue;

    /// <summary>
    /// The number of bytes (1 to 4) to encode <paramref name="fullPacketNumber"/> with, given the largest packet number
    /// the peer acknowledged in this space (null if none): enough to represent more than twice the number of
    /// unacknowledged packet numbers, the new one included (RFC 9000 §17.1, Appendix A.2).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The packet number is not above the largest acknowledged, or more than 2^31 packets are outstanding.
    /// </exception>
    public static int GetEncodedLength(ulong fullPacketNumber, ulong? largestAcknowledged)
    {
        if (fullPacketNumber > MaxValue)
            throw new ArgumentOutOfRangeException(nameof(fullPacketNumber), fullPacketNumber, "A packet number is at most 2^62-1.");
        ulong numUnacked;
        if (largestAcknowledged is ulong acked)
        {
            if (acked >= fullPacketNumber)
                throw new ArgumentOutOfRangeException(nameof(largestAcknowledged), acked, $"The largest acknowledged packet number must be below the packet being sent ({fullPacketNumber}).");
            numUnacked = fullPacketNumber - acked;
        }
        else
        {
            numUnacked = fullPacketNumber + 1;
        }
        // Appendix A.2: min_bits = log2(num_unacked) + 1 taken as a real number, so the n-byte encoding works exactly
        // when 2 * num_unacked <= 2^(8n), i.e. num_unacked <= 2^(8n-1).
        if (numUnacked <= 1UL << 7) return 1;
        if (numUnacked <= 1UL << 15) return 2;
        if (numUnacked <= 1UL << 23) return 3;
        if (numUnacked <= 1UL << 31) return 4;
        throw new ArgumentOutOfRangeException(nameof(fullPacketNumber), fullPacketNumber, $"{numUnacked} unacknowledged packet numbers exceed what a 4-byte packet number can express.");
    }

    /// <summary>Writes the <paramref name="length"/> least significant bytes of <paramref name="packetNumber"/>, big-endian.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 1 to 4.</exception>
    public static bool TryWrite(Span<byte> destination, ulong packetNumber, int length)
    {
        CheckLength(length);
        if (destination.Length < length) return false;
        for (int i = length - 1; i >= 0; i--)
        {
            destination[i] = (byte)packetNumber;
            packetNumber >>= 8;
        }
        return true;
    }

    /// <summary>Reads a truncated packet number of <paramref name="length"/> bytes, big-endian.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 1 to 4.</exception>
    /// <exception cref="WireFormatException">Fewer than <paramref name="length"/> bytes.</exception>
    public static ulong ReadTruncated(ReadOnlySpan<byte> source, int length)
    {
        CheckLength(length);
        if (source.Length < length) throw new WireFormatException($"Input truncated: a {length}-byte packet number needs {length} bytes, {source.Length} remain.");
        ulong value = 0;
        for (int i = 0; i < length; i++) value = value << 8 | source[i];
        return value;
    }

    /// <summary>
    /// Reconstructs a full packet number from its truncated form (RFC 9000 Appendix A.3): the value closest to the
    /// next expected packet number whose low bits match. <paramref name="largestPacketNumber"/> is the largest packet
    /// number successfully processed in the space (null when none yet).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 1 to 4, or the truncated value does not fit it.</exception>
    public static ulong Decode(ulong? largestPacketNumber, ulong truncatedPacketNumber, int length)
    {
        CheckLength(length);
        int bits = length * 8;
        ulong window = 1UL << bits;
        if (truncatedPacketNumber >= window)
            throw new ArgumentOutOfRangeException(nameof(truncatedPacketNumber), truncatedPacketNumber, $"A {length}-byte packet number is below 2^{bits}.");
        ulong expected = largestPacketNumber is ulong largest ? largest + 1 : 0;
        ulong halfWindow = window / 2;
        ulong mask = window - 1;
        ulong candidate = (expected & ~mask) | truncatedPacketNumber;
        // candidate <= expected - halfWindow, written so that it cannot underflow.
        if (candidate + halfWindow <= expected && candidate < (1UL << 62) - window)
            return candidate + window;
        if (candidate > expected + halfWindow && candidate >= window)
            return candidate - window;
        return candidate;
    }

    private static void CheckLength(int length)
    {
        if (length is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(length), length, "A packet number is encoded on 1 to 4 bytes.");
    }
}
