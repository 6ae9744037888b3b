using System.Diagnostics;
using Transport.Bench.Tour;

namespace Transport.Bench.Remote;

/// <summary>
/// The client's measurements, each over one <see cref="IPerfClientTransport"/>. CPU figures are this (client)
/// process's CPU time (<see cref="CpuMeter"/>) over the measured interval; the server's CPU is not included.
/// </summary>
internal static class RemoteMeasurements
{
    /// <summary>A bulk transfer's outcome: payload bytes (headers not counted), measured time and client CPU.</summary>
    internal sealed record Throughput(long Bytes, TimeSpan Elapsed, TimeSpan Cpu, int Streams)
    {
        public double GigabitsPerSecond => Bytes * 8 / Elapsed.TotalSeconds / 1e9;

        public double CpuSecondsPerGigabyte => Bytes > 0 ? Cpu.TotalSeconds / (Bytes / 1e9) : double.NaN;
    }

    /// <summary>A request loop's outcome: latencies of the measured requests, their count, time and client CPU.</summary>
    internal sealed record Loop(LatencyRecorder Latencies, long Count, TimeSpan Elapsed, TimeSpan Cpu)
    {
        public double PerSecond => Count / Elapsed.TotalSeconds;

        public double CpuMicrosecondsEach => Count > 0 ? Cpu.TotalMilliseconds * 1000 / Count : double.NaN;
    }

    /// <summary>
    /// Upload: each of <paramref name="streams"/> exchanges sends the header (response size 0), then payload for
    /// <paramref name="bytes"/> bytes or until <paramref name="time"/> passed, then FIN, and waits for the server's FIN
    /// (sent once it drained everything), so the time covers delivery, not just queuing.
    /// </summary>
    public static async Task<Throughput> UploadAsync(IPerfClientTransport transport, int streams, long? bytes, TimeSpan time, CancellationToken cancellationToken)
    {
        var (connections, exchanges) = await OpenAsync(transport, streams, cancellationToken).ConfigureAwait(false);
        try
        {
            long[] sent = new long[streams];
            TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
            var clock = Stopwatch.StartNew();
            var tasks = new Task[streams];
            for (int i = 0; i < streams; i++)
            {
                int index = i;
                tasks[i] = Task.Run(async () => sent[index] = await UploadOneAsync(exchanges[index], bytes, time, clock, cancellationToken).ConfigureAwait(false), cancellationToken);
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            TimeSpan elapsed = clock.Elapsed;
            return new Throughput(sent.Sum(), elapsed, CpuMeter.ProcessCpuTime() - cpu0, streams);
        }
        finally
        {
            await CloseAsync(connections, exchanges).ConfigureAwait(false);
        }
    }

    private static async Task<long> UploadOneAsync(PerfExchange exchange, long? bytes, TimeSpan time, Stopwatch clock, CancellationToken cancellationToken)
    {
        byte[] header = new byte[PerfFraming.HeaderSize];
        PerfFraming.WriteHeader(header, 0);
        await exchange.Stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        long sent = 0;
        byte[] payload = PerfFraming.Payload;
        // Timed: at least one chunk, even when opening the stream alone outlasted the window (a cold JIT under load), so
        // a timed upload never reports 0 bytes.
        while (bytes is long limit ? sent < limit : sent == 0 || clock.Elapsed < time)
        {
            int chunk = bytes is long l ? (int)Math.Min(payload.Length, l - sent) : payload.Length;
            await exchange.Stream.WriteAsync(payload.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
            sent += chunk;
        }
        await exchange.CompleteWritesAsync().ConfigureAwait(false);
        long answered = await PerfFraming.DrainAsync(exchange.Stream, new byte[1024], cancellationToken).ConfigureAwait(false);
        if (answered != 0) throw new InvalidDataException($"asked for no response, the server sent {answered} B");
        return sent;
    }

    /// <summary>
    /// Download: each exchange asks for <paramref name="bytes"/> bytes (or, timed, for an unlimited response it stops
    /// reading after <paramref name="time"/> with STOP_SENDING / a TCP reset, as secnetperf's timed download does).
    /// A sized download checks that exactly that many bytes arrived before the server's FIN.
    /// </summary>
    public static async Task<Throughput> DownloadAsync(IPerfClientTransport transport, int streams, long? bytes, TimeSpan time, CancellationToken cancellationToken)
    {
        var (connections, exchanges) = await OpenAsync(transport, streams, cancellationToken).ConfigureAwait(false);
        try
        {
            long[] received = new long[streams];
            TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
            var clock = Stopwatch.StartNew();
            var tasks = new Task[streams];
            for (int i = 0; i < streams; i++)
            {
                int index = i;
                tasks[i] = Task.Run(async () => received[index] = await DownloadOneAsync(exchanges[index], bytes, time, clock, cancellationToken).ConfigureAwait(false), cancellationToken);
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            TimeSpan elapsed = clock.Elapsed;
            return new Throughput(received.Sum(), elapsed, CpuMeter.ProcessCpuTime() - cpu0, streams);
        }
        finally
        {
            await CloseAsync(connections, exchanges).ConfigureAwait(false);
        }
    }

    private static async Task<long> DownloadOneAsync(PerfExchange exchange, long? bytes, TimeSpan time, Stopwatch clock, CancellationToken cancellationToken)
    {
        byte[] header = new byte[PerfFraming.HeaderSize];
        PerfFraming.WriteHeader(header, bytes is long b ? (ulong)b : PerfFraming.Unlimited);
        await exchange.Stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await exchange.CompleteWritesAsync().ConfigureAwait(false);
        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        while (true)
        {
            if (bytes is null && clock.Elapsed >= time)
            {
                exchange.AbortRead();
                return received;
            }
            int n = await exchange.Stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            received += n;
        }
        if (bytes is long expected && received != expected) throw new InvalidDataException($"asked for {expected} B, the server sent {received} B");
        if (bytes is null) throw new InvalidDataException($"the server ended an unlimited response after {received} B");
        return received;
    }

    /// <summary>
    /// Request/response: <paramref name="workers"/> loops, each on its own connection, one request outstanding at a
    /// time; unmeasured for <paramref name="warmup"/>, then measured for <paramref name="time"/>.
    /// </summary>
    public static Task<Loop> RequestResponseAsync(IPerfClientTransport transport, int workers, int size, TimeSpan warmup, TimeSpan time, CancellationToken cancellationToken) =>
        RunLoopAsync(workers, warmup, time, async (phase, recorder, ct) =>
        {
            await using IPerfConnection connection = await transport.ConnectAsync(ct).ConfigureAwait(false);
            while (!phase.Stopped)
            {
                long start = Stopwatch.GetTimestamp();
                await connection.RoundTripAsync(size, size, ct).ConfigureAwait(false);
                phase.Completed(recorder, Stopwatch.GetTimestamp() - start);
            }
        }, cancellationToken);

    /// <summary>
    /// Handshakes: <paramref name="workers"/> loops of connect (full handshake), one exchange asking for 1 byte, read it
    /// and the FIN, close; the latency is connect to the answer's FIN.
    /// </summary>
    public static Task<Loop> HandshakesAsync(IPerfClientTransport transport, int workers, TimeSpan warmup, TimeSpan time, CancellationToken cancellationToken) =>
        RunLoopAsync(workers, warmup, time, async (phase, recorder, ct) =>
        {
            byte[] header = new byte[PerfFraming.HeaderSize];
            PerfFraming.WriteHeader(header, 1);
            byte[] buffer = new byte[16];
            while (!phase.Stopped)
            {
                long start = Stopwatch.GetTimestamp();
                IPerfConnection connection = await transport.ConnectAsync(ct).ConfigureAwait(false);
                try
                {
                    await using PerfExchange exchange = await connection.OpenExchangeAsync(ct).ConfigureAwait(false);
                    await exchange.Stream.WriteAsync(header, ct).ConfigureAwait(false);
                    await exchange.CompleteWritesAsync().ConfigureAwait(false);
                    long got = await PerfFraming.DrainAsync(exchange.Stream, buffer, ct).ConfigureAwait(false);
                    if (got != 1) throw new InvalidDataException($"asked for 1 B, the server sent {got} B");
                    phase.Completed(recorder, Stopwatch.GetTimestamp() - start);
                }
                finally
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }, cancellationToken);

    /// <summary>
    /// Warm-up, measured window, stopped. An operation counts (rate and latency) when it completes inside the measured
    /// window, wherever it started.
    /// </summary>
    private sealed class Phase
    {
        private volatile bool _measuring;
        private volatile bool _stopped;

        public bool Measuring { get => _measuring; set => _measuring = value; }

        public bool Stopped { get => _stopped; set => _stopped = value; }

        /// <summary>Completes with the first operation counted in the measured window.</summary>
        public TaskCompletionSource FirstCounted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Completed(SharedRecorder recorder, long ticks)
        {
            if (!_measuring || _stopped) return;
            recorder.Record(ticks);
            FirstCounted.TrySetResult();
        }
    }

    private sealed class SharedRecorder(int capacity)
    {
        private readonly LatencyRecorder _recorder = new(capacity);

        public LatencyRecorder Inner => _recorder;

        public void Record(long ticks)
        {
            lock (_recorder) _recorder.Record(ticks);
        }
    }

    private static async Task<Loop> RunLoopAsync(int workers, TimeSpan warmup, TimeSpan time, Func<Phase, SharedRecorder, CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        var phase = new Phase();
        var recorder = new SharedRecorder(1 << 22);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task[workers];
        for (int i = 0; i < workers; i++) tasks[i] = Task.Run(() => body(phase, recorder, failed.Token), failed.Token);
        Task all = Task.WhenAll(tasks);
        // A worker that fails ends the run at once (the others are cancelled).
        Task firstFault = Task.WhenAny(tasks.Select(t => t.ContinueWith(_ => { if (t.IsFaulted) failed.Cancel(); }, TaskScheduler.Default)));
        try
        {
            await Task.WhenAny(Task.Delay(warmup, failed.Token), all).ConfigureAwait(false);
            TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
            var clock = Stopwatch.StartNew();
            phase.Measuring = true;
            await Task.WhenAny(Task.Delay(time, failed.Token), all).ConfigureAwait(false);
            // A window too short for even one operation (a slow handshake on a loaded machine) is extended to the first
            // completion, so the rate is never a meaningless 0 (the row's time says how long it really was).
            if (!phase.FirstCounted.Task.IsCompleted)
            {
                using var extension = CancellationTokenSource.CreateLinkedTokenSource(failed.Token);
                await Task.WhenAny(phase.FirstCounted.Task, all, Task.Delay(Timeout.Infinite, extension.Token)).ConfigureAwait(false);
                extension.Cancel();
            }
            phase.Stopped = true;
            TimeSpan elapsed = clock.Elapsed;
            TimeSpan cpu = CpuMeter.ProcessCpuTime() - cpu0;
            await all.ConfigureAwait(false);
            long count = recorder.Inner.Count + recorder.Inner.Dropped;
            return new Loop(recorder.Inner, count, elapsed, cpu);
        }
        finally
        {
            phase.Stopped = true;
            try { await all.ConfigureAwait(false); } catch (Exception) { }
            GC.KeepAlive(firstFault);
        }
    }

    private static async Task<(List<IPerfConnection> Connections, List<PerfExchange> Exchanges)> OpenAsync(IPerfClientTransport transport, int streams, CancellationToken cancellationToken)
    {
        var connections = new List<IPerfConnection>();
        var exchanges = new List<PerfExchange>();
        try
        {
            for (int i = 0; i < streams; i++)
            {
                if (i == 0 || !transport.ExchangesShareConnection) connections.Add(await transport.ConnectAsync(cancellationToken).ConfigureAwait(false));
                exchanges.Add(await connections[^1].OpenExchangeAsync(cancellationToken).ConfigureAwait(false));
            }
            return (connections, exchanges);
        }
        catch
        {
            await CloseAsync(connections, exchanges).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CloseAsync(List<IPerfConnection> connections, List<PerfExchange> exchanges)
    {
        foreach (PerfExchange exchange in exchanges) { try { await exchange.DisposeAsync().ConfigureAwait(false); } catch (Exception) { } }
        foreach (IPerfConnection connection in connections) { try { await connection.DisposeAsync().ConfigureAwait(false); } catch (Exception) { } }
    }
}
