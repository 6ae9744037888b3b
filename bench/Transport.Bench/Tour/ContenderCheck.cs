using System.Buffers.Binary;
using System.Diagnostics;

namespace Transport.Bench.Tour;

/// <summary>
/// <c>tour --check</c>: a correctness check of every available contender (and the first thing to run after plugging
/// a new one in): on one connection, <see cref="Streams"/> streams at once each echo <see cref="BytesPerStream"/>
/// random bytes written in random-sized pieces while reading concurrently, and one more stream sinks 4 MB and must
/// report the exact count. Figures from a contender that fails this mean nothing.
/// </summary>
internal static class ContenderCheck
{
    private const int Streams = 8;
    private const int BytesPerStream = 1 << 20;

    public static async Task<bool> RunAsync(IReadOnlyList<ITransportContender> contenders, ProgressLine progress)
    {
        bool allPassed = true;
        foreach (ITransportContender contender in contenders)
        {
            if (!contender.Availability.IsAvailable)
            {
                Console.WriteLine($"- {contender.Name}: skipped, {contender.Availability.Reason}");
                continue;
            }
            progress.Report($"check: {contender.Name}");
            long start = Stopwatch.GetTimestamp();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await using ITourServer server = await contender.StartServerAsync(TourServerHandler.HandleAsync, limit.Token).ConfigureAwait(false);
                await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, limit.Token).ConfigureAwait(false);
                var tasks = new Task[Streams + 1];
                for (int i = 0; i < Streams; i++) tasks[i] = EchoStreamAsync(connection, seed: i, limit.Token);
                tasks[Streams] = SinkStreamAsync(connection, 4_000_000, limit.Token);
                await Task.WhenAll(tasks).ConfigureAwait(false);
                Console.WriteLine($"- {contender.Name}: ok ({Streams} concurrent echo streams of {BytesPerStream >> 20} MiB + one 4 MB sink, {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s)");
            }
            catch (Exception e)
            {
                allPassed = false;
                string why = limit.IsCancellationRequested ? "hung (no progress within 60 s)" : $"{e.GetType().Name}: {e.Message}";
                Console.WriteLine($"- {contender.Name}: FAILED, {why}");
            }
        }
        progress.Done("check: done");
        return allPassed;
    }

    private static async Task EchoStreamAsync(ITourConnection connection, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        byte[] sent = new byte[BytesPerStream];
        random.NextBytes(sent);
        byte[] received = new byte[BytesPerStream];
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Echo }, cancellationToken).ConfigureAwait(false);
        Task writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < sent.Length;)
            {
                int n = Math.Min(sent.Length - offset, random.Next(1, 70_000));
                await stream.WriteAsync(sent.AsMemory(offset, n), cancellationToken).ConfigureAwait(false);
                offset += n;
            }
            await tourStream.CompleteWritesAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        await stream.ReadExactlyAsync(received, cancellationToken).ConfigureAwait(false);
        await writer.ConfigureAwait(false);
        if (await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            throw new InvalidDataException($"stream {seed}: more bytes than were sent came back");
        if (!received.AsSpan().SequenceEqual(sent)) throw new InvalidDataException($"stream {seed}: the echo differs from what was sent");
    }

    private static async Task SinkStreamAsync(ITourConnection connection, int bytes, CancellationToken cancellationToken)
    {
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        byte[] chunk = new byte[16_384];
        await stream.WriteAsync(new[] { TourServerHandler.Sink }, cancellationToken).ConfigureAwait(false);
        for (int sent = 0; sent < bytes; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, bytes - sent)), cancellationToken).ConfigureAwait(false);
        }
        await tourStream.CompleteWritesAsync(cancellationToken).ConfigureAwait(false);
        byte[] answer = new byte[8];
        await stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
        long count = BinaryPrimitives.ReadInt64BigEndian(answer);
        if (count != bytes) throw new InvalidDataException($"sink: the server counted {count} bytes, {bytes} were sent");
    }
}
