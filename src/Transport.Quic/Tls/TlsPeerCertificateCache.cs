using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Transport.Quic.Tls;

/// <summary>
/// The process-wide cache of parsed server certificates (<see cref="TlsPeerCertificateInfo"/>), keyed by the SHA-256
/// of their DER bytes and confirmed by comparing the bytes themselves. A client that connects to the same server again
/// and again (games, RPC) parses its certificate once. Bounded: when full it starts over.
/// </summary>
internal static class TlsPeerCertificateCache
{
    /// <summary>Distinct certificates kept at most.</summary>
    internal const int Capacity = 256;

    private static readonly Dictionary<(ulong, ulong, ulong, ulong), TlsPeerCertificateInfo> Entries = [];

    /// <summary>How many certificates were parsed because they were not cached (tests read it).</summary>
    internal static long Misses;

    /// <summary>The parsed form of <paramref name="der"/>; throws CryptographicException when it is not a certificate.</summary>
    public static TlsPeerCertificateInfo Get(ReadOnlySpan<byte> der)
    {
        byte[] sha256 = SHA256.HashData(der);
        var key = (BinaryPrimitives.ReadUInt64LittleEndian(sha256), BinaryPrimitives.ReadUInt64LittleEndian(sha256.AsSpan(8)),
            BinaryPrimitives.ReadUInt64LittleEndian(sha256.AsSpan(16)), BinaryPrimitives.ReadUInt64LittleEndian(sha256.AsSpan(24)));
        lock (Entries)
        {
            if (Entries.TryGetValue(key, out TlsPeerCertificateInfo? hit) && der.SequenceEqual(hit.Der)) return hit;
        }
        // Parsed outside the lock: two threads may both parse a new certificate; the last one stays.
        var parsed = new TlsPeerCertificateInfo(der.ToArray(), sha256);
        Interlocked.Increment(ref Misses);
        lock (Entries)
        {
            if (Entries.Count >= Capacity) Entries.Clear();
            Entries[key] = parsed;
        }
        return parsed;
    }
}
