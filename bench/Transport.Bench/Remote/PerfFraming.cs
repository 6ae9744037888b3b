using System.Buffers.Binary;

namespace Transport.Bench.Remote;

/// <summary>
/// The QUIC performance protocol's framing (draft-banks-quic-performance-00, ALPN "perf") and this tool's TCP
/// extension of it.
/// <list type="bullet">
/// <item>Every stream the client opens starts with 8 bytes: a big-endian uint64, the number of bytes the server must
/// send back (§2.3.1); 0xFFFFFFFFFFFFFFFF means "until the client stops reading" (STOP_SENDING). Then any upload
/// payload, then the client's FIN. The server drains the upload, answers on the same stream (or, for a
/// unidirectional stream, on a new unidirectional stream of its own, §2.3.2) and FINs. A stream that ends before
/// 8 bytes is ignored and closed gracefully (§2.3.1). Like msquic's server, ours answers after the client's FIN.</item>
/// <item>Over kernel TCP and TCP+TLS the same framing runs on a whole connection (one connection = one stream; the
/// FIN is a TCP FIN or a TLS close_notify). A TCP connection has one FIN, so request/response over one connection
/// needs one more form (ours only; secnetperf's TCP mode has its own framing): a header with the top bit set,
/// <see cref="RequestFlag"/> | N, is followed by an 8-byte big-endian request length L and L bytes; the server answers
/// exactly N bytes and then reads the next header on the same connection.</item>
/// </list>
/// Payload bytes follow msquic's pattern: the byte at offset k of a payload is (byte)k.
/// </summary>
internal static class PerfFraming
{
    /// <summary>The ALPN of the QUIC performance protocol (draft-banks-quic-performance §2.1).</summary>
    public const string Alpn = "perf";

    /// <summary>The default port (msquic's secnetperf default; the draft suggests 443 when none is given).</summary>
    public const int DefaultPort = 4433;

    /// <summary>The request header's size: one big-endian uint64.</summary>
    public const int HeaderSize = 8;

    /// <summary>A response size meaning "until the client stops reading" (draft §2.3.1).</summary>
    public const ulong Unlimited = ulong.MaxValue;

    /// <summary>TCP request/response form: header top bit (never a meaningful response size on its own).</summary>
    public const ulong RequestFlag = 1UL << 63;

    /// <summary>The first byte of a TLS handshake record (RFC 8446 §5.1, ContentType handshake = 22): how the server tells TLS from plain TCP on one port.</summary>
    public const byte TlsHandshakeRecord = 0x16;

    /// <summary>Largest response a TCP request/response may ask for (the server answers it from one buffer).</summary>
    public const int MaxRequestResponseBytes = 1 << 20;

    /// <summary>A 64 KiB buffer of the payload pattern; 65,536 is a multiple of 256, so any slice starting at a multiple of 256 continues the pattern.</summary>
    public static readonly byte[] Payload = CreatePayload(1 << 16);

    private static byte[] CreatePayload(int length)
    {
        var buffer = new byte[length];
        for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)i;
        return buffer;
    }

    public static void WriteHeader(Span<byte> destination, ulong responseBytes) => BinaryPrimitives.WriteUInt64BigEndian(destination, responseBytes);

    public static ulong ReadHeader(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt64BigEndian(source);

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes, or fewer only when the stream ends first; returns how many.
    /// </summary>
    public static async ValueTask<int> ReadAtMostAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    /// <summary>Reads and discards until the end of the stream; returns the byte count.</summary>
    public static async ValueTask<long> DrainAsync(Stream stream, byte[] scratch, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            int n = await stream.ReadAsync(scratch, cancellationToken).ConfigureAwait(false);
            if (n == 0) return total;
            total += n;
        }
    }

    /// <summary>Writes <paramref name="count"/> payload bytes (all of them when <see cref="Unlimited"/>: until the write fails).</summary>
    public static async ValueTask<long> WritePayloadAsync(Stream stream, ulong count, CancellationToken cancellationToken)
    {
        long sent = 0;
        while (count == Unlimited || (ulong)sent < count)
        {
            int chunk = count == Unlimited ? Payload.Length : (int)Math.Min((ulong)Payload.Length, count - (ulong)sent);
            await stream.WriteAsync(Payload.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
            sent += chunk;
        }
        return sent;
    }
}
