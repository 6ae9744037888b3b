namespace Transport.Quic.Crypto;

/// <summary>Packet number reconstruction from its truncated encoding (RFC 9000 §17.1, Appendix A.3).</summary>
internal static class PacketNumberDecoder
{
    /// <summary>The largest packet number QUIC allows, 2^62 - 1 (RFC 9000 §12.3).</summary>
    public const long MaxPacketNumber = (1L << 62) - 1;

    /// <summary>
    /// DecodePacketNumber(largest_pn, truncated_pn, pn_nbits) of RFC 9000 Appendix A.3: the packet number closest to
    /// largest_pn + 1 whose low <paramref name="packetNumberBits"/> bits are <paramref name="truncatedPacketNumber"/>.
    /// </summary>
    /// <param name="largestPacketNumber">The largest packet number successfully processed in this space, or -1 if none.</param>
    /// <param name="truncatedPacketNumber">The value of the Packet Number field.</param>
    /// <param name="packetNumberBits">8, 16, 24 or 32.</param>
    public static long Decode(long largestPacketNumber, long truncatedPacketNumber, int packetNumberBits)
    {
        long expected = largestPacketNumber + 1;
        long window = 1L << packetNumberBits;
        long halfWindow = window / 2;
        long mask = window - 1;
        long candidate = (expected & ~mask) | truncatedPacketNumber;
        if (candidate <= expected - halfWindow && candidate < (1L << 62) - window)
            return candidate + window;
        if (candidate > expected + halfWindow && candidate >= window)
            return candidate - window;
        return candidate;
    }
}
