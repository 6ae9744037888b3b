using System.Buffers.Binary;
using System.Diagnostics;

namespace Transport.Bench.Tour;

/// <summary>
/// Section 4 of the tour, loopback (127.0.0.1): bulk throughput and its CPU cost, 64-byte request/response latency
/// and rate (one outstanding; pipelined), and handshakes per second. Client and server run in this process, so CPU
/// figures are both ends together. Measurements run measurement-major (every contender for one measurement, then the
/// next), so a change in machine load hits all contenders of a table alike.
/// </summary>
internal static class LoopbackSection
{
    public const string Name = "loopback";
    private const int MessageSize = 64;
    private const int BulkWriteSize = 64 * 1024;
    private const int MaxSamples = 4_000_000;

    private delegate Task Measurement(ITransportContender contender, ITourServer server, TourTable table, TourOptions o, CancellationToken cancellationToken);

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        TourOptions o = context.Options;
        string seconds = $"{o.MeasureTime.TotalSeconds:0.#} s measured after {o.WarmupTime.TotalSeconds:0.#} s warm-up";
        var bulk = new TourTable(Name, "loopback-bulk", "Bulk throughput, one stream",
            $"One stream, client writes {BulkWriteSize / 1024} KiB writes for {seconds}, then half-closes; time runs until the server confirms the byte count. CPU is the whole process (client + server) per GB moved.",
            [new TourMetric("throughput", "Gbit/s", true, 2), new TourMetric("CPU per GB", "CPU s/GB", false, 2)]);
        var pingPong = new TourTable(Name, "loopback-rr", "64-byte request/response, one outstanding",
            $"Ping-pong on one stream: write 64 bytes, read the 64-byte echo, repeat; {seconds}. Round-trip latency percentiles and the resulting rate.",
            [new TourMetric("p50", "µs", false, 1), new TourMetric("p99", "µs", false, 1), new TourMetric("p99.9", "µs", false, 1), new TourMetric("rate", "req/s", true, 0)]);
        var pipelined = new TourTable(Name, "loopback-pipelined", $"64-byte request/response, {o.PipelineDepth} in flight",
            $"One stream, {o.PipelineDepth} requests outstanding: each echo read is answered by a new request; {seconds}.",
            [new TourMetric("rate", "req/s", true, 0), new TourMetric("CPU per request", "CPU µs/req", false, 2)]);
        var handshakes = new TourTable(Name, "loopback-handshakes", "Handshakes: connect + first byte",
            $"One at a time: connect (TCP / TLS 1.3 / QUIC handshake), open a stream, write 1 byte, read its echo, close; {seconds}. No session resumption.",
            [new TourMetric("rate", "handshakes/s", true, 0), new TourMetric("p50", "ms", false, 3), new TourMetric("p99", "ms", false, 3)]);
        var plan = new (TourTable Table, Measurement Run)[]
        {
            (bulk, BulkAsync), (pingPong, PingPongAsync), (pipelined, PipelinedAsync), (handshakes, HandshakesAsync),
        };

        var servers = new Dictionary<ITransportContender, ITourServer>();
        var startErrors = new Dictionary<ITransportContender, string>();
        foreach (ITransportContender contender in context.Contenders)
        {
            if (!contender.Availability.IsAvailable) continue;
            try
            {
                context.Progress.Report($"{Name}: starting {contender.Name} server");
                servers[contender] = await contender.StartServerAsync(TourServerHandler.HandleAsync, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                startErrors[contender] = $"server failed to start: {e.GetType().Name}: {e.Message}";
            }
        }

        try
        {
            int step = 0, steps = plan.Length * servers.Count;
            foreach ((TourTable table, Measurement run) in plan)
            {
                foreach (ITransportContender contender in context.Contenders)
                {
                    TourRow row = table.Row(contender.Name);
                    if (!contender.Availability.IsAvailable) { row.Unavailable = contender.Availability.Reason; continue; }
                    if (startErrors.TryGetValue(contender, out string? startError)) { row.Error = startError; continue; }
                    context.Progress.Report($"{Name} {++step}/{steps}: {table.Title} · {contender.Name}");
                    using var limit = new CancellationTokenSource(context.MeasurementLimit);
                    try
                    {
                        await run(contender, servers[contender], table, o, limit.Token).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        row.Values.Clear();
                        row.Error = limit.IsCancellationRequested
                            ? $"abandoned after {context.MeasurementLimit.TotalSeconds:0} s (hung)"
                            : $"{e.GetType().Name}: {e.Message}";
                    }
                }
            }
        }
        finally
        {
            foreach (ITourServer server in servers.Values)
            {
                try { await server.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
            }
        }
        return [bulk, pingPong, pipelined, handshakes];
    }

    private static async Task BulkAsync(ITransportContender contender, ITourServer server, TourTable table, TourOptions o, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        byte[] data = new byte[BulkWriteSize];
        Random.Shared.NextBytes(data);
        await SendBulkAsync(connection, data, o.WarmupTime, cancellationToken).ConfigureAwait(false);

        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        long t0 = Stopwatch.GetTimestamp();
        long bytes = await SendBulkAsync(connection, data, o.MeasureTime, cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(t0);
        TimeSpan cpu = CpuMeter.ProcessCpuTime() - cpu0;

        TourRow row = table.Row(contender.Name);
        row.Values["throughput"] = bytes * 8 / elapsed.TotalSeconds / 1e9;
        row.Values["CPU per GB"] = cpu.TotalSeconds / (bytes / 1e9);
        row.Note = $"{bytes / 1e9:0.00} GB in {elapsed.TotalSeconds:0.00} s";
    }

    /// <summary>One stream: 'S', then writes for <paramref name="duration"/>, half-close, wait for the server's count.</summary>
    private static async Task<long> SendBulkAsync(ITourConnection connection, byte[] data, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Sink }, cancellationToken).ConfigureAwait(false);
        long sent = 0;
        long start = Stopwatch.GetTimestamp();
        do
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            sent += data.Length;
        }
        while (Stopwatch.GetElapsedTime(start) < duration);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        await tourStream.CompleteWritesAsync(cancellationToken).ConfigureAwait(false);
        byte[] answer = new byte[8];
        await stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
        long received = BinaryPrimitives.ReadInt64BigEndian(answer);
        if (received != sent) throw new InvalidDataException($"the server received {received} bytes, the client sent {sent}");
        return sent;
    }

    private static async Task PingPongAsync(ITransportContender contender, ITourServer server, TourTable table, TourOptions o, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Echo }, cancellationToken).ConfigureAwait(false);
        byte[] request = new byte[MessageSize], response = new byte[MessageSize];
        Random.Shared.NextBytes(request);

        var warmup = new LatencyRecorder(1);
        await PingPongLoopAsync(stream, request, response, o.WarmupTime, warmup, cancellationToken).ConfigureAwait(false);
        var latencies = new LatencyRecorder(MaxSamples);
        TimeSpan elapsed = await PingPongLoopAsync(stream, request, response, o.MeasureTime, latencies, cancellationToken).ConfigureAwait(false);

        long count = latencies.Count + latencies.Dropped;
        TourRow row = table.Row(contender.Name);
        row.Values["rate"] = count / elapsed.TotalSeconds;
        row.Values["p50"] = latencies.PercentileMicroseconds(0.50);
        row.Values["p99"] = latencies.PercentileMicroseconds(0.99);
        if (latencies.Count >= 1000) row.Values["p99.9"] = latencies.PercentileMicroseconds(0.999);
        row.Note = $"{count} round trips";
    }

    private static async Task<TimeSpan> PingPongLoopAsync(Stream stream, byte[] request, byte[] response, TimeSpan duration,
        LatencyRecorder latencies, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long now = start;
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (now < end)
        {
            long sent = now;
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
            now = Stopwatch.GetTimestamp();
            latencies.Record(now - sent);
        }
        if (!response.AsSpan().SequenceEqual(request)) throw new InvalidDataException("the echo differs from the request");
        return Stopwatch.GetElapsedTime(start, now);
    }

    private static async Task PipelinedAsync(ITransportContender contender, ITourServer server, TourTable table, TourOptions o, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Echo }, cancellationToken).ConfigureAwait(false);
        await PipelinedLoopAsync(stream, o.PipelineDepth, o.WarmupTime, cancellationToken).ConfigureAwait(false);

        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        (long completed, TimeSpan elapsed) = await PipelinedLoopAsync(stream, o.PipelineDepth, o.MeasureTime, cancellationToken).ConfigureAwait(false);
        TimeSpan cpu = CpuMeter.ProcessCpuTime() - cpu0;

        TourRow row = table.Row(contender.Name);
        row.Values["rate"] = completed / elapsed.TotalSeconds;
        row.Values["CPU per request"] = cpu.TotalMilliseconds * 1000 / completed;
        row.Note = $"{completed} requests";
    }

    /// <summary>Keeps <paramref name="depth"/> requests outstanding for <paramref name="duration"/>, then drains them.</summary>
    private static async Task<(long Completed, TimeSpan Elapsed)> PipelinedLoopAsync(Stream stream, int depth, TimeSpan duration, CancellationToken cancellationToken)
    {
        byte[] request = new byte[MessageSize], response = new byte[MessageSize];
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < depth; i++) await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        long completed = 0;
        int outstanding = depth;
        while (outstanding > 0)
        {
            await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
            completed++;
            outstanding--;
            if (Stopwatch.GetTimestamp() < end)
            {
                await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                outstanding++;
            }
        }
        return (completed, Stopwatch.GetElapsedTime(start));
    }

    private static async Task HandshakesAsync(ITransportContender contender, ITourServer server, TourTable table, TourOptions o, CancellationToken cancellationToken)
    {
        byte[] hello = [TourServerHandler.Echo, 42];
        byte[] answer = new byte[1];
        var warmup = new LatencyRecorder(1);
        await HandshakeLoopAsync(contender, server, hello, answer, o.WarmupTime, warmup, cancellationToken).ConfigureAwait(false);
        var latencies = new LatencyRecorder(MaxSamples);
        TimeSpan elapsed = await HandshakeLoopAsync(contender, server, hello, answer, o.MeasureTime, latencies, cancellationToken).ConfigureAwait(false);

        TourRow row = table.Row(contender.Name);
        row.Values["rate"] = latencies.Count / elapsed.TotalSeconds;
        row.Values["p50"] = latencies.PercentileMicroseconds(0.50) / 1000;
        row.Values["p99"] = latencies.PercentileMicroseconds(0.99) / 1000;
        row.Note = $"{latencies.Count} handshakes";
    }

    private static async Task<TimeSpan> HandshakeLoopAsync(ITransportContender contender, ITourServer server, byte[] hello, byte[] answer,
        TimeSpan duration, LatencyRecorder latencies, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long now = start;
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (now < end)
        {
            long begun = now;
            await using (ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false))
            {
                await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
                await tourStream.Stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
                await tourStream.Stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
                now = Stopwatch.GetTimestamp();
                latencies.Record(now - begun);
            }
            if (answer[0] != hello[1]) throw new InvalidDataException("the first byte's echo differs");
        }
        return Stopwatch.GetElapsedTime(start, now);
    }
}
