using System.Buffers.Binary;

namespace Transport.Bench.Tour;

/// <summary>
/// The server side of every loopback measurement. The first byte a client writes on a stream picks the behaviour:
/// <see cref="Echo"/> writes back whatever arrives until end of stream; <see cref="Sink"/> reads and counts until end
/// of stream, then writes the count (8 bytes, big-endian) so the client knows everything arrived.
/// </summary>
internal static class TourServerHandler
{
    public const byte Echo = (byte)'E';
    public const byte Sink = (byte)'S';

    public static async Task HandleAsync(ITourStream tourStream, CancellationToken cancellationToken)
    {
        Stream stream = tourStream.Stream;
        byte[] buffer = new byte[64 * 1024];
        int n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0) return;
        byte mode = buffer[0];
        int start = 1;
        if (mode == Echo)
        {
            while (true)
            {
                if (n > start) await stream.WriteAsync(buffer.AsMemory(start, n - start), cancellationToken).ConfigureAwait(false);
                start = 0;
                n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
            }
        }
        else if (mode == Sink)
        {
            long total = n - start;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) total += n;
            BinaryPrimitives.WriteInt64BigEndian(buffer, total);
            await stream.WriteAsync(buffer.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            // Wait for the client to close, so the answer is not cut short by our close.
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
        }
    }
}
