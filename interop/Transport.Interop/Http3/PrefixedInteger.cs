namespace Transport.Interop.Http3;

/// <summary>
/// The N-bit prefixed integers of RFC 7541 §5.1, used by QPACK (RFC 9204 §4.1.1). Values are limited to 2^62-1
/// (RFC 9204 §4.1.1 lets implementations bound them; larger encodings are decoding errors).
/// </summary>
public static class PrefixedInteger
{
    /// <summary>The largest value accepted by the decoder.</summary>
    public const ulong MaxValue = (1UL << 62) - 1;

    /// <summary>The number of bytes <paramref name="value"/> takes with an N-bit prefix.</summary>
    public static int GetLength(ulong value, int prefixBits)
    {
        CheckPrefix(prefixBits);
        ulong max = (1UL << prefixBits) - 1;
        if (value < max) return 1;
        value -= max;
        int n = 2;
        while (value >= 128) { value >>= 7; n++; }
        return n;
    }

    /// <summary>
    /// Writes <paramref name="value"/> with an N-bit prefix; the bits above the prefix in the first byte are taken from
    /// <paramref name="firstByteFlags"/>. False when the destination is too short.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, ulong value, int prefixBits, byte firstByteFlags, out int bytesWritten)
    {
        CheckPrefix(prefixBits);
        if (value > MaxValue) throw new ArgumentOutOfRangeException(nameof(value), value, "A prefixed integer here holds at most 2^62-1.");
        bytesWritten = 0;
        int length = GetLength(value, prefixBits);
        if (destination.Length < length) return false;
        byte max = (byte)((1 << prefixBits) - 1);
        byte flags = (byte)(firstByteFlags & ~max);
        if (value < max)
        {
            destination[0] = (byte)(flags | (byte)value);
            bytesWritten = 1;
            return true;
        }
        // RFC 7541 §5.1: fill the prefix, then 7-bit groups, least significant first, high bit = continuation.
        destination[0] = (byte)(flags | max);
        value -= max;
        int i = 1;
        while (value >= 128)
        {
            destination[i++] = (byte)(0x80 | (value & 0x7f));
            value >>= 7;
        }
        destination[i++] = (byte)value;
        bytesWritten = i;
        return true;
    }

    /// <summary>
    /// Reads a prefixed integer from the start of <paramref name="source"/>, ignoring the bits above the prefix.
    /// Returns false when the input is truncated; throws <see cref="Http3Exception"/> (QPACK_DECOMPRESSION_FAILED)
    /// when the value exceeds 2^62-1.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, int prefixBits, out ulong value, out int bytesRead)
    {
        CheckPrefix(prefixBits);
        value = 0;
        bytesRead = 0;
        if (source.IsEmpty) return false;
        ulong max = (1UL << prefixBits) - 1;
        ulong v = source[0] & max;
        if (v < max)
        {
            value = v;
            bytesRead = 1;
            return true;
        }
        int shift = 0;
        for (int i = 1; i < source.Length; i++)
        {
            byte b = source[i];
            if (shift > 56) throw Http3Exception.Qpack("Prefixed integer is too long.");
            ulong add = (ulong)(b & 0x7f) << shift;
            if (shift > 0 && (add >> shift) != (ulong)(b & 0x7f)) throw Http3Exception.Qpack("Prefixed integer overflows.");
            v += add;
            if (v > MaxValue) throw Http3Exception.Qpack("Prefixed integer exceeds 2^62-1.");
            shift += 7;
            if ((b & 0x80) == 0)
            {
                value = v;
                bytesRead = i + 1;
                return true;
            }
        }
        return false;
    }

    /// <summary>Reads a prefixed integer; truncation is a QPACK_DECOMPRESSION_FAILED error.</summary>
    internal static ulong Read(ReadOnlySpan<byte> source, int prefixBits, ref int offset)
    {
        if (!TryRead(source[offset..], prefixBits, out ulong v, out int n))
            throw Http3Exception.Qpack("Truncated prefixed integer.");
        offset += n;
        return v;
    }

    private static void CheckPrefix(int prefixBits)
    {
        if (prefixBits is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(prefixBits), prefixBits, "The prefix is 1 to 8 bits.");
    }
}
