namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// The application bytes the harness sends: byte i of the stream is a hash of i, so the receiver can check every byte it
/// reads is the right one at the right offset (a misplaced, repeated or corrupted segment shows as a mismatch).
/// </summary>
internal static class StreamPattern
{
    public static byte At(long offset) => (byte)(((ulong)offset * 0x9E3779B97F4A7C15UL) >> 56 ^ (ulong)offset);

    public static void Fill(long offset, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = At(offset + i);
    }

    /// <summary>The index of the first byte of <paramref name="data"/> (at stream <paramref name="offset"/>) that is wrong, or -1.</summary>
    public static int FirstMismatch(long offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
            if (data[i] != At(offset + i)) return i;
        return -1;
    }
}
