using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Transport.Core.Security;

/// <summary>
/// Cryptographically secure random bytes for the many small draws of a QUIC handshake (connection IDs, stateless reset
/// tokens, TLS randoms, key shares, ticket nonces, PATH_CHALLENGE data), buffered per thread.
/// </summary>
/// <remarks>
/// Every <see cref="RandomNumberGenerator.Fill"/> call costs about 1.1 to 1.5 µs on .NET 10/Linux (OpenSSL 3) whatever
/// its length up to a few hundred bytes, and a handshake made some 20 to 40 of them. This class fills a per-thread buffer
/// of <see cref="BufferSize"/> bytes with one such call and hands out consecutive, never-overlapping slices of it; each
/// slice is zeroed in the buffer as it is handed out, so the buffer only ever holds bytes no caller has seen yet, and no
/// byte of CSPRNG output is given out twice. Requests longer than <see cref="MaxBufferedLength"/> bypass the buffer.
/// The output is the framework CSPRNG's output, only batched: use it wherever <see cref="RandomNumberGenerator"/> would be.
/// </remarks>
internal static class SecureRandom
{
    /// <summary>The bytes drawn from <see cref="RandomNumberGenerator"/> per refill of a thread's buffer.</summary>
    public const int BufferSize = 512;

    /// <summary>Longer requests go straight to <see cref="RandomNumberGenerator.Fill"/> (batching gains nothing there).</summary>
    public const int MaxBufferedLength = 64;

    [ThreadStatic] private static byte[]? t_buffer;
    // Unconsumed bytes at the end of t_buffer: the next draw starts at BufferSize - t_remaining. 0 (a new thread) = empty.
    [ThreadStatic] private static int t_remaining;

    /// <summary>Fills <paramref name="destination"/> with cryptographically secure random bytes.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        if (destination.Length > MaxBufferedLength)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        byte[] buffer = t_buffer ??= new byte[BufferSize];
        int remaining = t_remaining;
        if (remaining < destination.Length)
        {
            // Hand out what is left, then refill for the rest: every byte of one refill is used exactly once.
            Take(buffer, remaining, destination.Slice(0, remaining));
            destination = destination.Slice(remaining);
            t_remaining = 0;
            RandomNumberGenerator.Fill(buffer);
            remaining = BufferSize;
        }
        Take(buffer, remaining, destination);
        t_remaining = remaining - destination.Length;
    }

    private static void Take(byte[] buffer, int remaining, Span<byte> destination)
    {
        Span<byte> source = buffer.AsSpan(BufferSize - remaining, destination.Length);
        source.CopyTo(destination);
        CryptographicOperations.ZeroMemory(source);
    }

    /// <summary>A new array of <paramref name="count"/> cryptographically secure random bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static byte[] GetBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        byte[] bytes = count == 0 ? [] : GC.AllocateUninitializedArray<byte>(count);
        Fill(bytes);
        return bytes;
    }

    /// <summary>A uniformly distributed random 32-bit value.</summary>
    public static uint GetUInt32()
    {
        Span<byte> b = stackalloc byte[sizeof(uint)];
        Fill(b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>A uniformly distributed random 64-bit value.</summary>
    public static ulong GetUInt64()
    {
        Span<byte> b = stackalloc byte[sizeof(ulong)];
        Fill(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>A uniformly distributed random integer in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="toExclusive"/> is not greater than <paramref name="fromInclusive"/>.</exception>
    public static int GetInt32(int fromInclusive, int toExclusive)
    {
        if (fromInclusive >= toExclusive)
            throw new ArgumentException($"The range [{fromInclusive}, {toExclusive}) is empty: toExclusive must be greater than fromInclusive.", nameof(toExclusive));
        uint range = unchecked((uint)(toExclusive - fromInclusive));
        // Rejection sampling over the smallest power-of-two mask covering range - 1: no modulo bias, fewer than 2 draws
        // on average.
        uint mask = range - 1;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
        uint value;
        do value = GetUInt32() & mask; while (value >= range);
        return (int)(fromInclusive + value);
    }

    /// <summary>A uniformly distributed random integer in [0, <paramref name="toExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="toExclusive"/> is not positive.</exception>
    public static int GetInt32(int toExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toExclusive);
        return GetInt32(0, toExclusive);
    }

    /// <summary>For tests: how many unconsumed bytes this thread's buffer holds.</summary>
    internal static int BufferedBytesForTesting => t_remaining;

    /// <summary>For tests: this thread's buffer (zero where handed out), or null before the first buffered draw.</summary>
    internal static ReadOnlySpan<byte> BufferForTesting => t_buffer;
}
