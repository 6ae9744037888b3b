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

    /// <summary>One round of a measurement: warm up for <paramref name="warmup"/>, then measure into <paramref name="totals"/>.</summary>
    private delegate Task Measurement(ITransportContender contender, ITourServer server, TimeSpan warmup, TimeSpan measure, TourOptions o,
        RoundTotals totals, CancellationToken cancellationToken);

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        TourOptions o = context.Options;
        TimeSpan round = o.MeasureTime / o.Rounds;
        string seconds = $"{o.Rounds} round(s) of {round.TotalSeconds:0.##} s each, contender order rotated every round, after {o.WarmupTime.TotalSeconds:0.#} s warm-up";
        var bulk = new TourTable(Name, "loopback-bulk", "Bulk throughput, one stream",
            $"A stream per round, client writes {BulkWriteSize / 1024} KiB writes, then half-closes; time runs until the server confirms the byte count; {seconds} (the first round's warm-up goes on until the rate stops rising, at most {MaxBulkWarmupFactor}x: JIT tiering). CPU is the whole process (client + server) per GB moved.",
            [new TourMetric("throughput", "Gbit/s", true, 2), new TourMetric("CPU per GB", "CPU s/GB", false, 2)]);
        var pingPong = new TourTable(Name, "loopback-rr", "64-byte request/response, one outstanding",
            $"Ping-pong on one stream: write 64 bytes, read the 64-byte echo, repeat; {seconds}. Round-trip latency percentiles and the resulting rate.",
            [new TourMetric("p50", "µs", false, 1), new TourMetric("p99", "µs", false, 1), new TourMetric("p99.9", "µs", false, 1), new TourMetric("rate", "req/s", true, 0)]);
        var pipelined = new TourTable(Name, "loopback-pipelined", $"64-byte request/response, {o.PipelineDepth} in flight",
            $"One stream, {o.PipelineDepth} requests outstanding: each echo read is answered by a new request; {seconds}. CPU is the whole process per request.",
            [new TourMetric("rate", "req/s", true, 0), new TourMetric("CPU per request", "CPU µs/req", false, 2)]);
        var handshakes = new TourTable(Name, "loopback-handshakes", "Handshakes: connect + first byte",
            $"One at a time: connect (TCP / TLS 1.3 / QUIC handshake), open a stream, write 1 byte, read its echo, close; {seconds}. No session resumption. CPU is the whole process (both ends) per handshake.",
            [new TourMetric("rate", "handshakes/s", true, 0), new TourMetric("p50", "ms", false, 3), new TourMetric("p99", "ms", false, 3), new TourMetric("CPU per handshake", "CPU ms", false, 3)]);
        var plan = new (TourTable Table, Measurement Run, Action<TourRow, RoundTotals> Finish)[]
        {
            (bulk, BulkAsync, FinishBulk), (pingPong, PingPongAsync, FinishPingPong), (pipelined, PipelinedAsync, FinishPipelined),
            (handshakes, HandshakesAsync, FinishHandshakes),
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
            var runnable = new List<ITransportContender>();
            foreach (ITransportContender contender in context.Contenders)
            {
                if (servers.ContainsKey(contender)) runnable.Add(contender);
            }
            int step = 0, steps = plan.Length * o.Rounds * runnable.Count;
            foreach ((TourTable table, Measurement run, Action<TourRow, RoundTotals> finish) in plan)
            {
                var totals = new Dictionary<ITransportContender, RoundTotals>();
                foreach (ITransportContender contender in context.Contenders)
                {
                    TourRow row = table.Row(contender.Name);
                    if (!contender.Availability.IsAvailable) row.Unavailable = contender.Availability.Reason;
                    else if (startErrors.TryGetValue(contender, out string? startError)) row.Error = startError;
                    else totals[contender] = new RoundTotals();
                }
                for (int r = 0; r < o.Rounds; r++)
                {
                    for (int k = 0; k < runnable.Count; k++)
                    {
                        ITransportContender contender = runnable[(k + r) % runnable.Count];
                        TourRow row = table.Row(contender.Name);
                        if (row.Error is not null) continue;
                        context.Progress.Report($"{Name} {++step}/{steps}: {table.Title} · {contender.Name} · round {r + 1}/{o.Rounds}");
                        // The first round warms up fully (JIT, first connection); later rounds only warm their new connection.
                        TimeSpan warmup = r == 0 ? o.WarmupTime : TimeSpan.FromTicks(Math.Min(o.WarmupTime.Ticks, TimeSpan.FromMilliseconds(100).Ticks));
                        using var limit = new CancellationTokenSource(context.MeasurementLimit);
                        try
                        {
                            // The token cancels the measurement's I/O; the timed wait also abandons one stuck in a call
                            // that ignores tokens (its connection leaks, the tour goes on).
                            Task measured = run(contender, servers[contender], warmup, round, o, totals[contender], limit.Token);
                            if (await Task.WhenAny(measured, Task.Delay(context.MeasurementLimit + TimeSpan.FromSeconds(10))).ConfigureAwait(false) != measured)
                                throw new TimeoutException("the measurement ignored cancellation");
                            await measured.ConfigureAwait(false);
                            totals[contender].Rounds++;
                        }
                        catch (Exception e)
                        {
                            row.Error = limit.IsCancellationRequested || e is TimeoutException
                                ? $"abandoned after {context.MeasurementLimit.TotalSeconds:0} s (hung)"
                                : $"{e.GetType().Name}: {e.Message}";
                        }
                    }
                }
                foreach ((ITransportContender contender, RoundTotals total) in totals)
                {
                    TourRow row = table.Row(contender.Name);
                    if (row.Error is null && total.Rounds > 0 && total.Elapsed > TimeSpan.Zero) finish(row, total);
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

    private static void FinishBulk(TourRow row, RoundTotals t)
    {
        row.Values["throughput"] = t.Bytes * 8 / t.Elapsed.TotalSeconds / 1e9;
        row.Values["CPU per GB"] = t.Cpu.TotalSeconds / (t.Bytes / 1e9);
        row.Note = $"{t.Bytes / 1e9:0.00} GB in {t.Elapsed.TotalSeconds:0.00} s";
    }

    private static void FinishPingPong(TourRow row, RoundTotals t)
    {
        row.Values["rate"] = t.Operations / t.Elapsed.TotalSeconds;
        row.Values["p50"] = t.Latencies.PercentileMicroseconds(0.50);
        row.Values["p99"] = t.Latencies.PercentileMicroseconds(0.99);
        if (t.Latencies.Count >= 1000) row.Values["p99.9"] = t.Latencies.PercentileMicroseconds(0.999);
        row.Note = $"{t.Operations} round trips";
    }

    private static void FinishPipelined(TourRow row, RoundTotals t)
    {
        row.Values["rate"] = t.Operations / t.Elapsed.TotalSeconds;
        row.Values["CPU per request"] = t.Cpu.TotalMilliseconds * 1000 / t.Operations;
        row.Note = $"{t.Operations} requests";
    }

    private static void FinishHandshakes(TourRow row, RoundTotals t)
    {
        row.Values["rate"] = t.Operations / t.Elapsed.TotalSeconds;
        row.Values["p50"] = t.Latencies.PercentileMicroseconds(0.50) / 1000;
        row.Values["p99"] = t.Latencies.PercentileMicroseconds(0.99) / 1000;
        row.Values["CPU per handshake"] = t.Cpu.TotalMilliseconds / t.Operations;
        row.Note = $"{t.Operations} handshakes";
    }

    private static async Task BulkAsync(ITransportContender contender, ITourServer server, TimeSpan warmup, TimeSpan measure, TourOptions o,
        RoundTotals totals, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        byte[] data = new byte[BulkWriteSize];
        Random.Shared.NextBytes(data);
        if (warmup == o.WarmupTime) await WarmUpBulkAsync(connection, data, warmup, cancellationToken).ConfigureAwait(false);
        else await SendBulkAsync(connection, data, warmup, cancellationToken).ConfigureAwait(false);

        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        long t0 = Stopwatch.GetTimestamp();
        long bytes = await SendBulkAsync(connection, data, measure, cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(t0);
        totals.Cpu += CpuMeter.ProcessCpuTime() - cpu0;
        totals.Elapsed += elapsed;
        totals.Bytes += bytes;
    }

    /// <summary>
    /// The first round's warm-up: streams of <paramref name="warmup"/> each until the rate stops rising (a stream no more
    /// than 5 % faster than the best before it), at most <see cref="MaxBulkWarmupFactor"/> times the warm-up. A JIT-compiled
    /// stack (this process's own code: Transport, and the tour's stream wrappers) runs its first seconds in unoptimized and
    /// instrumented code until tiered compilation has replaced the hot methods, while the framework's precompiled code
    /// (ReadyToRun: SslStream, sockets) starts fast; a fixed 0.3 s warm-up measured mostly the JIT's progress. Every
    /// contender gets the same rule, so one that is steady at once pays only two short streams.
    /// </summary>
    private static async Task WarmUpBulkAsync(ITourConnection connection, byte[] data, TimeSpan warmup, CancellationToken cancellationToken)
    {
        TimeSpan window = TimeSpan.FromTicks(Math.Max(warmup.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks));
        long limit = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * MaxBulkWarmupFactor * Stopwatch.Frequency);
        double best = 0;
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            long bytes = await SendBulkAsync(connection, data, window, cancellationToken).ConfigureAwait(false);
            double rate = bytes / Stopwatch.GetElapsedTime(t0).TotalSeconds;
            bool rising = rate > best * 1.05;
            best = Math.Max(best, rate);
            if (!rising || Stopwatch.GetTimestamp() > limit) return;
        }
    }

    /// <summary>The first round's bulk warm-up lasts at most this many times <see cref="TourOptions.WarmupTime"/>.</summary>
    private const int MaxBulkWarmupFactor = 10;

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

    private static async Task PingPongAsync(ITransportContender contender, ITourServer server, TimeSpan warmup, TimeSpan measure, TourOptions o,
        RoundTotals totals, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Echo }, cancellationToken).ConfigureAwait(false);
        byte[] request = new byte[MessageSize], response = new byte[MessageSize];
        Random.Shared.NextBytes(request);

        await PingPongLoopAsync(stream, request, response, warmup, latencies: null, cancellationToken).ConfigureAwait(false);
        (long count, TimeSpan elapsed) = await PingPongLoopAsync(stream, request, response, measure, totals.Latencies, cancellationToken).ConfigureAwait(false);
        totals.Operations += count;
        totals.Elapsed += elapsed;
    }

    private static async Task<(long Count, TimeSpan Elapsed)> PingPongLoopAsync(Stream stream, byte[] request, byte[] response, TimeSpan duration,
        LatencyRecorder? latencies, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long now = start;
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        while (now < end)
        {
            long sent = now;
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
            now = Stopwatch.GetTimestamp();
            latencies?.Record(now - sent);
            count++;
        }
        if (count > 0 && !response.AsSpan().SequenceEqual(request)) throw new InvalidDataException("the echo differs from the request");
        return (count, Stopwatch.GetElapsedTime(start, now));
    }

    private static async Task PipelinedAsync(ITransportContender contender, ITourServer server, TimeSpan warmup, TimeSpan measure, TourOptions o,
        RoundTotals totals, CancellationToken cancellationToken)
    {
        await using ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        Stream stream = tourStream.Stream;
        await stream.WriteAsync(new[] { TourServerHandler.Echo }, cancellationToken).ConfigureAwait(false);
        await PipelinedLoopAsync(stream, o.PipelineDepth, warmup, cancellationToken).ConfigureAwait(false);

        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        (long completed, TimeSpan elapsed) = await PipelinedLoopAsync(stream, o.PipelineDepth, measure, cancellationToken).ConfigureAwait(false);
        totals.Cpu += CpuMeter.ProcessCpuTime() - cpu0;
        totals.Operations += completed;
        totals.Elapsed += elapsed;
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

    private static async Task HandshakesAsync(ITransportContender contender, ITourServer server, TimeSpan warmup, TimeSpan measure, TourOptions o,
        RoundTotals totals, CancellationToken cancellationToken)
    {
        byte[] hello = [TourServerHandler.Echo, 42];
        byte[] answer = new byte[1];
        await HandshakeLoopAsync(contender, server, hello, answer, warmup, latencies: null, cancellationToken).ConfigureAwait(false);
        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        (long count, TimeSpan elapsed) = await HandshakeLoopAsync(contender, server, hello, answer, measure, totals.Latencies, cancellationToken).ConfigureAwait(false);
        totals.Cpu += CpuMeter.ProcessCpuTime() - cpu0;
        totals.Operations += count;
        totals.Elapsed += elapsed;
    }

    private static async Task<(long Count, TimeSpan Elapsed)> HandshakeLoopAsync(ITransportContender contender, ITourServer server, byte[] hello,
        byte[] answer, TimeSpan duration, LatencyRecorder? latencies, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long now = start;
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        while (now < end)
        {
            long begun = now;
            await using (ITourConnection connection = await contender.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false))
            {
                await using ITourStream tourStream = await connection.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
                await tourStream.Stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
                await tourStream.Stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
                now = Stopwatch.GetTimestamp();
                latencies?.Record(now - begun);
                count++;
            }
            if (answer[0] != hello[1]) throw new InvalidDataException("the first byte's echo differs");
        }
        return (count, Stopwatch.GetElapsedTime(start, now));
    }
}
