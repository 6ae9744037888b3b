using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Transport.Quic;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// Section <c>setup</c>: the cost of connection setup, as time to the first response byte at RTT 20, 50 and 100 ms, for
/// kernel TCP, TCP + TLS 1.3 (SslStream), our QUIC with a full 1-RTT handshake, our QUIC resuming with 0-RTT, and
/// System.Net.Quic when present. Every contender crosses the same <see cref="EmulatedPath"/>; ours is also run in
/// <see cref="VirtualTimeSetup"/>'s virtual time. Each repetition: connect, open a stream, write one byte, read its
/// echo; the contender order rotates every repetition. Expected (not asserted): TCP 2 RTT, TCP+TLS 1.3 3 RTT, QUIC 1-RTT
/// 2 RTT, QUIC 0-RTT 1 RTT. The 0-RTT contender's server opts in to
/// <see cref="QuicListenerOptions.AcceptBeforeHandshakeCompletes"/> (it answers the early request with 0.5-RTT data); the
/// 1-RTT contender's server keeps the default. A second table states the saving of 0-RTT over 1-RTT (the target: one RTT).
/// </summary>
internal static class SetupSection
{
    public const string Name = "setup";
    private static readonly int[] RttsMs = [20, 50, 100];

    private const string Tcp = "kernel TCP", Tls = "TCP+TLS 1.3", Quic1 = "Transport QUIC 1-RTT", Quic0 = "Transport QUIC 0-RTT",
        Virtual1 = "Transport QUIC 1-RTT, virtual time", Virtual0 = "Transport QUIC 0-RTT, virtual time", SystemQuic = "System.Net.Quic";

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        bool namespaces = EmulatedPath.NamespacesUsable(out string why);
        if (namespaces && !context.Options.ChildJson)
            return await SectionChild.RunAsync(context, Name, TimeSpan.FromMinutes(context.Options.Quick ? 2 : 8)).ConfigureAwait(false);

        int repetitions = context.Options.Quick ? 5 : 20;
        var metrics = new List<TourMetric>();
        foreach (int rtt in RttsMs)
        {
            metrics.Add(new TourMetric($"RTT {rtt} p50", "ms", false, 1));
            metrics.Add(new TourMetric($"RTT {rtt} p90", "ms", false, 1));
        }
        var table = new TourTable(Name, "setup-first-byte", "Connection setup: time to the first response byte",
            $"Connect, open a stream, write 1 byte, read its echo; {repetitions} repetitions per contender and RTT after one unmeasured warm-up, contender order rotated every repetition; median and p90. " +
            "TCP+TLS: full TLS 1.3 handshake (no resumption). QUIC 0-RTT: resumption with the session ticket of the previous connection, the request sent as 0-RTT data, " +
            "the server (QuicListenerOptions.AcceptBeforeHandshakeCompletes) answering it with 0.5-RTT data before its handshake completes. " +
            $"Virtual time: the same QUIC code over NetworkSimulator (no sockets, no load; deterministic). {EmulatedPath.Describe(namespaces)}" +
            (namespaces ? "." : $" (namespaces unusable: {why})."),
            metrics);
        foreach (string name in new[] { Tcp, Tls, Quic1, Quic0, Virtual1, Virtual0, SystemQuic }) table.Row(name);
        var systemQuic = new SystemNetQuicContender();
        table.Row(SystemQuic).Unavailable = systemQuic.Availability.IsAvailable
            ? "available, but not wired into this section yet (msquic opens its sockets on its own threads: it needs child processes inside the namespaces)"
            : systemQuic.Availability.Reason;
        if (!namespaces)
        {
            table.Row(Tcp).Unavailable = EmulatedPath.TcpNeedsRoot;
            table.Row(Tls).Unavailable = EmulatedPath.TcpNeedsRoot;
        }

        using var peers = new TourPeers();
        var samples = new Dictionary<string, List<double>>();
        var accepted = new int[2]; // 0-RTT accepted, offered
        int seed = 1;
        foreach (int rttMs in RttsMs)
        {
            TimeSpan rtt = TimeSpan.FromMilliseconds(rttMs);
            foreach (string name in new[] { Tcp, Tls, Quic1, Quic0 }) samples[name] = [];

            // Virtual time first: deterministic, milliseconds of real time.
            try
            {
                (double one, double zero) = VirtualTimeSetup.Measure(peers, rtt, seed);
                table.Row(Virtual1).Values[$"RTT {rttMs} p50"] = table.Row(Virtual1).Values[$"RTT {rttMs} p90"] = one;
                table.Row(Virtual0).Values[$"RTT {rttMs} p50"] = table.Row(Virtual0).Values[$"RTT {rttMs} p90"] = zero;
                table.Row(Virtual1).Note = table.Row(Virtual0).Note = "one deterministic run per RTT";
            }
            catch (Exception e)
            {
                table.Row(Virtual1).Error ??= $"{e.GetType().Name}: {e.Message}";
                table.Row(Virtual0).Error ??= $"{e.GetType().Name}: {e.Message}";
            }

            context.Progress.Report($"{Name}: building the path, RTT {rttMs} ms");
            EmulatedPath path;
            try
            {
                path = new EmulatedPath(rtt, 0, seed++);
            }
            catch (Exception e)
            {
                foreach (string name in new[] { Tcp, Tls, Quic1, Quic0 }) table.Row(name).Error ??= $"path: {e.GetType().Name}: {e.Message}";
                continue;
            }
            using (path)
            {
                TcpEchoServer? tcp = null, tls = null;
                QuicEchoServer? quic = null, quicEarly = null;
                QuicClientEndpoint? client = null;
                try
                {
                    if (path.IsNamespaceLink)
                    {
                        tcp = new TcpEchoServer(path.CreateTcpListener(), peers, tls: false, multiplexed: false);
                        tls = new TcpEchoServer(path.CreateTcpListener(), peers, tls: true, multiplexed: false);
                    }
                    quic = new QuicEchoServer(path.CreateQuicListener(peers.QuicServerOptions()));
                    IPEndPoint target = path.QuicTarget(quic.EndPoint);
                    // 0-RTT: a server that hands out connections after its first flight, so it answers the 0-RTT request at once
                    // (0.5-RTT data). Same ticket keys, so tickets of either server resume on it.
                    quicEarly = new QuicEchoServer(path.CreateQuicListener(peers.QuicServerOptions(), acceptBeforeHandshakeCompletes: true));
                    IPEndPoint earlyTarget = path.QuicTarget(quicEarly.EndPoint);
                    client = path.CreateQuicClientEndpoint();
                    TlsSessionTicket? ticket = null;

                    var runs = new List<(string Name, Func<CancellationToken, Task<double>> Run)>();
                    if (tcp is not null) runs.Add((Tcp, ct => TcpFirstByteAsync(path, tcp.EndPoint, null, ct)));
                    if (tls is not null) runs.Add((Tls, ct => TcpFirstByteAsync(path, tls.EndPoint, peers, ct)));
                    runs.Add((Quic1, async ct =>
                    {
                        (double ms, TlsSessionTicket? t) = await QuicFirstByteAsync(client, target, peers, null, accepted, ct).ConfigureAwait(false);
                        ticket ??= t;
                        return ms;
                    }));
                    runs.Add((Quic0, async ct =>
                    {
                        if (ticket is null) throw new InvalidOperationException("no session ticket from an earlier connection");
                        (double ms, TlsSessionTicket? t) = await QuicFirstByteAsync(client, earlyTarget, peers, ticket, accepted, ct).ConfigureAwait(false);
                        ticket = t ?? throw new InvalidOperationException("the resumed connection brought no new session ticket");
                        return ms;
                    }));

                    TimeSpan limit = TimeSpan.FromSeconds(10) + 20 * rtt;
                    for (int r = -1; r < repetitions; r++)
                    {
                        for (int k = 0; k < runs.Count; k++)
                        {
                            (string name, Func<CancellationToken, Task<double>> run) = runs[(k + Math.Max(r, 0)) % runs.Count];
                            TourRow row = table.Row(name);
                            if (row.Error is not null) continue;
                            context.Progress.Report($"{Name}: RTT {rttMs} ms · {name} · {(r < 0 ? "warm-up" : $"repetition {r + 1}/{repetitions}")}");
                            using var cts = new CancellationTokenSource(limit);
                            try
                            {
                                double ms = await run(cts.Token).WaitAsync(limit + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                                if (r >= 0) samples[name].Add(ms);
                            }
                            catch (Exception e)
                            {
                                row.Error = cts.IsCancellationRequested || e is TimeoutException
                                    ? $"RTT {rttMs} ms: no first byte within {limit.TotalSeconds:0} s"
                                    : $"RTT {rttMs} ms: {e.GetType().Name}: {e.Message}";
                            }
                        }
                    }
                }
                catch (Exception e)
                {
                    foreach (string name in new[] { Tcp, Tls, Quic1, Quic0 })
                    {
                        if (table.Row(name).Unavailable is null) table.Row(name).Error ??= $"RTT {rttMs} ms: setup failed: {e.GetType().Name}: {e.Message}";
                    }
                }
                finally
                {
                    if (client is not null) await Bounded(client.DisposeAsync()).ConfigureAwait(false);
                    if (quic is not null) await Bounded(quic.DisposeAsync()).ConfigureAwait(false);
                    if (quicEarly is not null) await Bounded(quicEarly.DisposeAsync()).ConfigureAwait(false);
                    if (tcp is not null) await Bounded(tcp.DisposeAsync()).ConfigureAwait(false);
                    if (tls is not null) await Bounded(tls.DisposeAsync()).ConfigureAwait(false);
                }
            }
            foreach ((string name, List<double> list) in samples)
            {
                if (list.Count == 0) continue;
                list.Sort();
                table.Row(name).Values[$"RTT {rttMs} p50"] = Percentile(list, 0.5);
                table.Row(name).Values[$"RTT {rttMs} p90"] = Percentile(list, 0.9);
            }
        }
        foreach (string name in new[] { Tcp, Tls, Quic1, Quic0 })
        {
            TourRow row = table.Row(name);
            if (row.Error is null && row.Unavailable is null) row.Note = $"{repetitions} per RTT";
        }
        if (table.Row(Quic0).Error is null) table.Row(Quic0).Note += $"; 0-RTT accepted {accepted[0]} of {accepted[1]} offered; server with AcceptBeforeHandshakeCompletes (answers with 0.5-RTT data)";
        // Should 0-RTT ever stop saving a round trip again, say so under the table.
        if (table.Row(Virtual0).Values.TryGetValue("RTT 100 p50", out double v0) && table.Row(Virtual1).Values.TryGetValue("RTT 100 p50", out double v1) && v0 > 0.75 * v1)
            table.Row(Virtual0).Note += "; 0-RTT saves no round trip here: the server answered the early request only after the handshake completed";
        return [table, SavingTable(table)];
    }

    /// <summary>
    /// The target line: how much sooner the first response byte comes with 0-RTT than with 1-RTT (p50 of 1-RTT minus p50
    /// of 0-RTT), in milliseconds and in RTTs; one RTT is what 0-RTT can save.
    /// </summary>
    private static TourTable SavingTable(TourTable setup)
    {
        var metrics = new List<TourMetric>();
        foreach (int rtt in RttsMs)
        {
            metrics.Add(new TourMetric($"RTT {rtt}", "ms", true, 1));
            metrics.Add(new TourMetric($"RTT {rtt} in RTTs", "RTT", true, 2));
        }
        var saving = new TourTable(Name, "setup-zero-rtt-saving", "0-RTT vs 1-RTT: how much sooner the first response byte comes",
            "p50 of Transport QUIC 1-RTT minus p50 of Transport QUIC 0-RTT from the table above, in milliseconds and in round trips. Target: 1 RTT " +
            "(the request rides in 0-RTT and the server answers it at once with 0.5-RTT data, RFC 9001 §4.1.1).", metrics);
        foreach ((string row, string one, string zero) in new[] { ("Transport QUIC, emulated path", Quic1, Quic0), ("Transport QUIC, virtual time", Virtual1, Virtual0) })
        {
            TourRow r = saving.Row(row);
            foreach (int rtt in RttsMs)
            {
                if (!setup.Row(one).Values.TryGetValue($"RTT {rtt} p50", out double a) || !setup.Row(zero).Values.TryGetValue($"RTT {rtt} p50", out double b)) continue;
                r.Values[$"RTT {rtt}"] = a - b;
                r.Values[$"RTT {rtt} in RTTs"] = (a - b) / rtt;
            }
            if (r.Values.Count == 0) r.Error = setup.Row(one).Error ?? setup.Row(zero).Error ?? "no figures";
        }
        return saving;
    }

    internal static double Percentile(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task Bounded(ValueTask disposal)
    {
        try { await disposal.AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
    }

    /// <summary>TCP (tls: null) or TCP + TLS 1.3: connect, [handshake], write 1 byte, read 1 byte; milliseconds.</summary>
    private static async Task<double> TcpFirstByteAsync(EmulatedPath path, IPEndPoint server, TourPeers? tls, CancellationToken ct)
    {
        Socket socket = path.CreateTcpClient(); // before the clock: made on a namespace thread
        Stream? stream = null;
        try
        {
            byte[] one = [42];
            long t0 = Stopwatch.GetTimestamp();
            await socket.ConnectAsync(server, ct).ConfigureAwait(false);
            stream = tls is null ? new NetworkStream(socket, ownsSocket: true) : await tls.TlsClientAsync(socket, ct).ConfigureAwait(false);
            await stream.WriteAsync(one, ct).ConfigureAwait(false);
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) != 1) throw new EndOfStreamException("the server closed before echoing");
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
        }
    }

    /// <summary>Our QUIC: connect (0-RTT when <paramref name="ticket"/> is given), open a stream, write, read; milliseconds and the new ticket.</summary>
    private static async Task<(double Milliseconds, TlsSessionTicket? Ticket)> QuicFirstByteAsync(QuicClientEndpoint client, IPEndPoint target,
        TourPeers peers, TlsSessionTicket? ticket, int[] accepted, CancellationToken ct)
    {
        byte[] one = [42];
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = target,
            ConnectionOptions = peers.QuicClientOptions(ticket),
            AllowEarlyData = ticket is not null,
        };
        long t0 = Stopwatch.GetTimestamp();
        QuicConnection connection = await client.ConnectAsync(options, ct).ConfigureAwait(false);
        try
        {
            double ms;
            await using (QuicStream stream = await connection.OpenOutboundStreamAsync(bidirectional: true, ct).ConfigureAwait(false))
            {
                await stream.WriteAsync(one, ct).ConfigureAwait(false);
                if (await stream.ReadAsync(one, ct).ConfigureAwait(false) != 1) throw new EndOfStreamException("the server closed before echoing");
                ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                stream.CompleteWrites();
            }
            if (ticket is not null)
            {
                accepted[1]++;
                if (await connection.EarlyDataAccepted.WaitAsync(ct).ConfigureAwait(false)) accepted[0]++;
            }
            TlsSessionTicket next = await connection.WaitForSessionTicketAsync(ct).ConfigureAwait(false);
            return (ms, next);
        }
        finally
        {
            try { await connection.CloseAsync(0, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false); } catch (Exception) { }
            await Bounded(connection.DisposeAsync()).ConfigureAwait(false);
        }
    }
}
