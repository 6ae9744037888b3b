using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Tour;

/// <summary>
/// Section <c>hol</c>: head-of-line blocking. 16 concurrent request/response flows over ONE TCP + TLS 1.3 connection
/// (<see cref="StreamMultiplexer"/> framing) versus 16 streams of one of our QUIC connections (and, as the TCP baseline
/// without shared head-of-line blocking, 16 separate TCP + TLS connections), at 0, 1, 2 and 5 % random loss both ways
/// on a 20 ms RTT <see cref="EmulatedPath"/>. Open loop: every flow sends a 1000-byte message every 10 ms (flows
/// staggered), the server echoes it, and the latency of a message is from its write to the end of its echo.
/// </summary>
internal static class HolSection
{
    public const string Name = "hol";
    // 16 x 400 B every 15 ms = 3.4 Mbit/s each way: within what a loss-based controller sustains at 5 % random loss on a
    // 20 ms path (Mathis: 1.22/sqrt(p) packets per RTT), so the table shows head-of-line blocking, not a congestion-window
    // collapse. (At 16 x 1000 B every 10 ms = 12.8 Mbit/s our CUBIC fell to a 7-30 KB window at 1-5 % loss and messages
    // queued for seconds, while kernel TCP coped: see the tour README.)
    private const int Flows = 16, MessageSize = 400;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(15);
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(20);
    private static readonly double[] LossPercents = [0, 1, 2, 5];

    // Every contender runs a named congestion controller: the kernel's default (bbr on this machine's kernel, inherited by
    // the namespaces) against our default (CUBIC) compared a loss-blind controller with a loss-based one, not
    // head-of-line blocking. Each transport runs with CUBIC and with BBR.
    private const string TlsMuxCubic = "TCP+TLS 1.3 (cubic), 16 flows on 1 connection", TlsMuxBbr = "TCP+TLS 1.3 (bbr), 16 flows on 1 connection";
    private const string TlsSeparate = "TCP+TLS 1.3 (cubic), 16 connections";
    private const string QuicCubic = "Transport QUIC (CUBIC), 16 streams on 1 connection", QuicBbr = "Transport QUIC (BBR), 16 streams on 1 connection";
    private static readonly string[] Contenders = [TlsMuxCubic, TlsMuxBbr, QuicCubic, QuicBbr, TlsSeparate];

    private delegate Task<(Stream[] Flows, Func<ValueTask> Close, Func<string?> Describe)> Opener(CancellationToken ct);

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        bool namespaces = EmulatedPath.NamespacesUsable(out string why);
        if (namespaces && !context.Options.ChildJson)
            return await SectionChild.RunAsync(context, Name, TimeSpan.FromMinutes(context.Options.Quick ? 2 : 10)).ConfigureAwait(false);

        TimeSpan measure = context.Options.Quick ? TimeSpan.FromSeconds(1.2) : context.Options.MeasureTime;
        TimeSpan warmup = TimeSpan.FromSeconds(context.Options.Quick ? 0.2 : 1);
        var table = new TourTable(Name, "hol-latency", "Head-of-line blocking: message latency under loss",
            $"{Flows} flows, each sending a {MessageSize}-byte message every {Period.TotalMilliseconds:0} ms (open loop, flows staggered) and reading its echo; latency from the write to the end of the echo; " +
            $"{measure.TotalSeconds:0.#} s measured after {warmup.TotalSeconds:0.#} s warm-up, per contender and loss rate (plus one unmeasured 0.5 s run of each contender before the first); RTT {Rtt.TotalMilliseconds:0} ms, random loss both ways. " +
            "On one TCP connection a lost segment holds back every flow behind it; QUIC streams hold back only the stream whose data was lost; 16 separate TCP connections are the baseline without shared blocking. " +
            "The kernel TCP runs cubic or bbr (TCP_CONGESTION on both ends), our QUIC CUBIC or BBR (ConnectionOptions.CongestionControl on both ends): at 5 % random loss a loss-based controller (cubic) cannot carry much more than about 5 full datagrams per RTT (Mathis), a loss-blind one (kernel bbr, BBRv1) ignores the loss. " +
            $"Messages still unanswered 10 s after the last write count as 10 s. {EmulatedPath.Describe(namespaces)}" + (namespaces ? "." : $" (namespaces unusable: {why})."),
            [new TourMetric("p50", "ms", false, 1), new TourMetric("p99", "ms", false, 1), new TourMetric("p99.9", "ms", false, 1), new TourMetric("max", "ms", false, 1)]);

        using var peers = new TourPeers();
        int seed = 100;
        foreach (double lossPercent in LossPercents)
        {
            string suffix = $" · {lossPercent:0.#} % loss";
            foreach (string name in Contenders)
            {
                if (!namespaces && name is not (QuicCubic or QuicBbr)) table.Row(name + suffix).Unavailable = EmulatedPath.TcpNeedsRoot;
                else if (name == TlsSeparate && context.Options.Quick) table.Row(name + suffix).Unavailable = "full run only (not in --quick)";
            }
            context.Progress.Report($"{Name}: building the path, {lossPercent} % loss");
            EmulatedPath path;
            try
            {
                path = new EmulatedPath(Rtt, lossPercent / 100, seed++);
            }
            catch (Exception e)
            {
                foreach (string name in Contenders) table.Row(name + suffix).Error ??= $"path: {e.GetType().Name}: {e.Message}";
                continue;
            }
            using (path)
            {
                TcpEchoServer? muxCubic = null, muxBbr = null, separate = null;
                QuicEchoServer? quicCubic = null, quicBbr = null;
                QuicClientEndpoint? client = null;
                try
                {
                    var runs = new List<(string Name, Opener Open, bool Prefix)>();
                    if (path.IsNamespaceLink)
                    {
                        muxCubic = new TcpEchoServer(Listener(path, "cubic"), peers, tls: true, multiplexed: true);
                        muxBbr = new TcpEchoServer(Listener(path, "bbr"), peers, tls: true, multiplexed: true);
                        separate = new TcpEchoServer(Listener(path, "cubic"), peers, tls: true, multiplexed: false);
                        runs.Add((TlsMuxCubic, ct => OpenMuxAsync(path, peers, muxCubic.EndPoint, "cubic", ct), true));
                        runs.Add((TlsMuxBbr, ct => OpenMuxAsync(path, peers, muxBbr.EndPoint, "bbr", ct), true));
                    }
                    quicCubic = new QuicEchoServer(path.CreateQuicListener(QuicServer(peers, CongestionControlAlgorithm.Cubic)));
                    quicBbr = new QuicEchoServer(path.CreateQuicListener(QuicServer(peers, CongestionControlAlgorithm.Bbr)));
                    IPEndPoint targetCubic = path.QuicTarget(quicCubic.EndPoint), targetBbr = path.QuicTarget(quicBbr.EndPoint);
                    client = path.CreateQuicClientEndpoint();
                    runs.Add((QuicCubic, ct => OpenQuicAsync(client, targetCubic, peers, CongestionControlAlgorithm.Cubic, ct), false));
                    runs.Add((QuicBbr, ct => OpenQuicAsync(client, targetBbr, peers, CongestionControlAlgorithm.Bbr, ct), false));
                    if (separate is not null && !context.Options.Quick) runs.Add((TlsSeparate, ct => OpenSeparateAsync(path, peers, separate.EndPoint, ct), false));

                    if (lossPercent == LossPercents[0])
                    {
                        // One unmeasured short run of each contender first: the JIT compiles our QUIC's whole path on
                        // its first use (the TCP path is mostly precompiled framework code), which would count against it.
                        foreach ((string name, Opener open, bool prefix) in runs)
                        {
                            context.Progress.Report($"{Name}: warm-up · {name}");
                            using var warm = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                            try
                            {
                                await MeasureAsync(open, prefix, TimeSpan.Zero, TimeSpan.FromSeconds(0.5), new TourRow(name), warm.Token)
                                    .WaitAsync(TimeSpan.FromSeconds(35)).ConfigureAwait(false);
                            }
                            catch (Exception)
                            {
                                // the measured run reports it
                            }
                        }
                    }
                    foreach ((string name, Opener open, bool prefix) in runs)
                    {
                        TourRow row = table.Row(name + suffix);
                        context.Progress.Report($"{Name}: {lossPercent} % loss · {name}");
                        TimeSpan limit = warmup + measure + TimeSpan.FromSeconds(40);
                        using var cts = new CancellationTokenSource(limit);
                        try
                        {
                            await MeasureAsync(open, prefix, warmup, measure, row, cts.Token).WaitAsync(limit + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            row.Values.Clear();
                            row.Error = cts.IsCancellationRequested || e is TimeoutException
                                ? $"abandoned after {limit.TotalSeconds:0} s (hung)"
                                : $"{e.GetType().Name}: {e.Message}";
                        }
                    }
                }
                catch (Exception e)
                {
                    foreach (string name in Contenders)
                    {
                        if (table.Row(name + suffix).Unavailable is null) table.Row(name + suffix).Error ??= $"setup failed: {e.GetType().Name}: {e.Message}";
                    }
                }
                finally
                {
                    if (client is not null) await Bounded(client.DisposeAsync()).ConfigureAwait(false);
                    if (quicCubic is not null) await Bounded(quicCubic.DisposeAsync()).ConfigureAwait(false);
                    if (quicBbr is not null) await Bounded(quicBbr.DisposeAsync()).ConfigureAwait(false);
                    if (muxCubic is not null) await Bounded(muxCubic.DisposeAsync()).ConfigureAwait(false);
                    if (muxBbr is not null) await Bounded(muxBbr.DisposeAsync()).ConfigureAwait(false);
                    if (separate is not null) await Bounded(separate.DisposeAsync()).ConfigureAwait(false);
                }
            }
        }
        return [table];
    }

    private static ConnectionOptions QuicServer(TourPeers peers, CongestionControlAlgorithm algorithm)
    {
        ConnectionOptions options = peers.QuicServerOptions();
        options.CongestionControl = algorithm;
        return options;
    }

    /// <summary>A TCP listener on the path whose accepted sockets inherit <paramref name="congestionControl"/>.</summary>
    private static Socket Listener(EmulatedPath path, string congestionControl)
    {
        Socket listener = path.CreateTcpListener();
        try
        {
            SetCongestionControl(listener, congestionControl);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Sets TCP_CONGESTION and checks it took (a module the kernel lacks fails loudly).</summary>
    private static void SetCongestionControl(Socket socket, string congestionControl)
    {
        socket.SetRawSocketOption(6, 13, Encoding.ASCII.GetBytes(congestionControl)); // IPPROTO_TCP, TCP_CONGESTION
        Span<byte> check = stackalloc byte[16];
        int length = socket.GetRawSocketOption(6, 13, check);
        string actual = Encoding.ASCII.GetString(check[..length]).TrimEnd('\0');
        if (actual != congestionControl) throw new InvalidOperationException($"TCP_CONGESTION is '{actual}', not '{congestionControl}'.");
    }

    private static async Task Bounded(ValueTask disposal)
    {
        try { await disposal.AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
    }

    private static async Task<(Stream[], Func<ValueTask>, Func<string?>)> OpenMuxAsync(EmulatedPath path, TourPeers peers, IPEndPoint server, string congestionControl, CancellationToken ct)
    {
        var socket = path.CreateTcpClient();
        try
        {
            SetCongestionControl(socket, congestionControl);
            await socket.ConnectAsync(server, ct).ConfigureAwait(false);
            Stream tls = await peers.TlsClientAsync(socket, ct).ConfigureAwait(false);
            var mux = new StreamMultiplexer(tls, isServer: false, onAccepted: null);
            var flows = new Stream[Flows];
            for (int i = 0; i < Flows; i++) flows[i] = mux.OpenStream();
            return (flows, async () =>
            {
                foreach (Stream f in flows) await f.DisposeAsync().ConfigureAwait(false);
                await mux.DisposeAsync().ConfigureAwait(false);
                await tls.DisposeAsync().ConfigureAwait(false);
            }, () => null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<(Stream[], Func<ValueTask>, Func<string?>)> OpenSeparateAsync(EmulatedPath path, TourPeers peers, IPEndPoint server, CancellationToken ct)
    {
        var flows = new Stream[Flows];
        async ValueTask Close()
        {
            foreach (Stream? f in flows)
            {
                if (f is not null) await f.DisposeAsync().ConfigureAwait(false);
            }
        }
        try
        {
            var sockets = new System.Net.Sockets.Socket[Flows];
            for (int i = 0; i < Flows; i++)
            {
                sockets[i] = path.CreateTcpClient();
                SetCongestionControl(sockets[i], "cubic");
            }
            var opening = new Task<Stream>[Flows];
            for (int i = 0; i < Flows; i++)
            {
                var socket = sockets[i];
                opening[i] = Task.Run(async () =>
                {
                    try
                    {
                        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
                        return await peers.TlsClientAsync(socket, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }, ct);
            }
            for (int i = 0; i < Flows; i++) flows[i] = await opening[i].ConfigureAwait(false);
            return (flows, Close, () => null);
        }
        catch
        {
            await Close().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(Stream[], Func<ValueTask>, Func<string?>)> OpenQuicAsync(QuicClientEndpoint client, IPEndPoint target, TourPeers peers,
        CongestionControlAlgorithm algorithm, CancellationToken ct)
    {
        ConnectionOptions options = peers.QuicClientOptions();
        options.CongestionControl = algorithm;
        QuicConnection connection = await client.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = target,
            ConnectionOptions = options,
        }, ct).ConfigureAwait(false);
        var flows = new Stream[Flows];
        try
        {
            for (int i = 0; i < Flows; i++) flows[i] = await connection.OpenOutboundStreamAsync(bidirectional: true, ct).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return (flows, async () =>
        {
            foreach (Stream? f in flows)
            {
                if (f is not null) await f.DisposeAsync().ConfigureAwait(false);
            }
            try { await connection.CloseAsync(0).AsTask().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (Exception) { }
            await connection.DisposeAsync().ConfigureAwait(false);
        }, () =>
        {
            var stats = connection.GetStatistics();
            return $"client: {stats.PacketsLost} packets lost, {stats.CongestionEvents} congestion events, window at the end {stats.CongestionWindow / 1024.0:0.#} KiB";
        });
    }

    private static async Task MeasureAsync(Opener open, bool modePrefix, TimeSpan warmup, TimeSpan measure, TourRow row, CancellationToken ct)
    {
        (Stream[] flows, Func<ValueTask> close, Func<string?> describe) = await open(ct).ConfigureAwait(false);
        try
        {
            if (modePrefix)
            {
                foreach (Stream f in flows) await f.WriteAsync(new[] { TourServerHandler.Echo }, ct).ConfigureAwait(false);
            }
            long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20;
            long measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
            long end = measureFrom + (long)(measure.TotalSeconds * Stopwatch.Frequency);
            long period = (long)(Period.TotalSeconds * Stopwatch.Frequency);
            var latencies = new ConcurrentBag<long>();
            var sent = new int[Flows];
            var tasks = new List<Task>();
            for (int i = 0; i < Flows; i++)
            {
                Stream flow = flows[i];
                var stamps = new ConcurrentQueue<long>();
                int index = i;
                var writes = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                tasks.Add(Task.Run(async () =>
                {
                    byte[] message = new byte[MessageSize];
                    message.AsSpan().Fill((byte)('a' + index));
                    long next = start + index * period / Flows;
                    int count = 0;
                    try
                    {
                        while (next < end)
                        {
                            long wait = next - Stopwatch.GetTimestamp();
                            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct).ConfigureAwait(false);
                            stamps.Enqueue(Stopwatch.GetTimestamp());
                            await flow.WriteAsync(message, ct).ConfigureAwait(false);
                            count++;
                            next += period;
                        }
                        writes.SetResult(count);
                    }
                    catch (Exception e)
                    {
                        writes.TrySetException(e);
                        throw;
                    }
                }, ct));
                tasks.Add(Task.Run(async () =>
                {
                    byte[] echo = new byte[MessageSize];
                    int received = 0;
                    using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    _ = writes.Task.ContinueWith(t => drain.CancelAfter(TimeSpan.FromSeconds(10)), TaskScheduler.Default);
                    try
                    {
                        while (!writes.Task.IsCompleted || received < writes.Task.Result)
                        {
                            await flow.ReadExactlyAsync(echo, drain.Token).ConfigureAwait(false);
                            long now = Stopwatch.GetTimestamp();
                            if (!stamps.TryDequeue(out long stamp)) throw new InvalidDataException("an echo arrived before its message was written");
                            if (echo[0] != (byte)('a' + index) || echo[^1] != (byte)('a' + index)) throw new InvalidDataException($"flow {index} received another flow's bytes");
                            if (stamp >= measureFrom && stamp < end) latencies.Add(now - stamp);
                            received++;
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // 10 s after the last write: what is still missing counts as 10 s.
                        foreach (long stamp in stamps)
                        {
                            if (stamp >= measureFrom && stamp < end) latencies.Add(Stopwatch.Frequency * 10);
                            Interlocked.Increment(ref sent[index]);
                        }
                    }
                }, ct));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            long[] all = [.. latencies];
            Array.Sort(all);
            if (all.Length == 0) throw new InvalidOperationException("no message was measured");
            double Ms(double q) => all[Math.Clamp((int)Math.Ceiling(q * all.Length) - 1, 0, all.Length - 1)] * 1000.0 / Stopwatch.Frequency;
            row.Values["p50"] = Ms(0.5);
            row.Values["p99"] = Ms(0.99);
            if (all.Length >= 1000) row.Values["p99.9"] = Ms(0.999);
            row.Values["max"] = Ms(1);
            int missing = 0;
            foreach (int m in sent) missing += m;
            row.Note = $"{all.Length} messages" + (missing > 0 ? $", {missing} unanswered after 10 s" : "");
            if (describe() is { } more) row.Note += "; " + more;
        }
        finally
        {
            try { await close().AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        }
    }
}
