using System.Diagnostics;
using System.Globalization;
using System.Net;
using Transport.Quic;

namespace Transport.Bench.Tour;

/// <summary>
/// Section <c>scale</c>: 1,000 (and, in a full run, 10,000) concurrent connections of our QUIC to one server endpoint
/// on loopback. The server runs in a child process (<c>tour --scale-server</c>: one <see cref="QuicListener"/>, an echo
/// per stream) so each end's memory is measured on its own; all client connections share one
/// <see cref="QuicClientEndpoint"/> socket in this process. Figures: handshakes per second (100 in flight) and their CPU
/// (both processes); memory per connection, managed heap (after a full compacting GC) and working set, idle (handshake
/// done, nothing open) and active (one stream open on each, after a 1 KiB echo); the CPU both processes burn while every
/// connection sits idle. Target (read, not asserted): at most 16 KiB per idle connection.
/// </summary>
internal static class ScaleSection
{
    public const string Name = "scale";
    private const int InFlight = 100;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        bool quick = context.Options.Quick;
        int[] counts = Environment.GetEnvironmentVariable("TOUR_SCALE_CONNECTIONS") is { } only // e.g. "10,1000": other counts, by hand
            ? Array.ConvertAll(only.Split(','), x => int.Parse(x, CultureInfo.InvariantCulture))
            : quick ? [1000] : [1000, 10_000];
        TimeSpan idleWindow = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("TOUR_SCALE_IDLE_SECONDS") is { } idleSeconds // longer, by hand (to profile)
            ? double.Parse(idleSeconds, CultureInfo.InvariantCulture) : quick ? 1 : 5);
        var rate = new TourTable(Name, "scale-handshakes", "Many connections: handshake rate and idle CPU",
            $"One server endpoint (a child process), all client connections on one client socket, {InFlight} handshakes in flight, loopback. CPU is both processes. " +
            $"Idle CPU: both processes over {idleWindow.TotalSeconds:0} s with every connection open and idle (idle timeout {IdleTimeout.TotalMinutes:0} min, no keep-alive), per 1,000 connections, " +
            $"measured {IdleSettle(quick).TotalSeconds:0} s after the memory figures, without the CPU of the runtime's background tier-1 JIT thread (shown in the note; it recompiles the handshake path long after the handshakes on a loaded machine).",
            [new TourMetric("handshakes", "per s", true, 0), new TourMetric("CPU per handshake", "CPU ms", false, 2), new TourMetric("idle CPU", "CPU ms/s per 1k conns", false, 2)]);
        string breakdown;
        try
        {
            using var peers = new TourPeers();
            breakdown = " Breakdown (reflection over one idle server connection in virtual time, Tour/ConnectionFootprint.cs): " + ConnectionFootprint.Describe(peers, top: 8) + ".";
        }
        catch (Exception e)
        {
            breakdown = $" (breakdown failed: {e.GetType().Name}: {e.Message})";
        }
        var idle = new TourTable(Name, "scale-memory-idle", "Memory per idle connection",
            "Increase over the empty endpoint, divided by the number of connections, once every handshake is done and nothing is open. Managed: GC.GetTotalMemory after a full compacting collection; WS: process working set. Target: at most 16 KiB per idle connection." + breakdown,
            [new TourMetric("server managed", "KiB", false, 1), new TourMetric("server WS", "KiB", false, 1), new TourMetric("client managed", "KiB", false, 1), new TourMetric("client WS", "KiB", false, 1)]);
        var active = new TourTable(Name, "scale-memory-active", "Memory per active connection",
            "As for idle connections, after each connection opened one bidirectional stream and had 1 KiB echoed on it; the streams stay open while memory is measured.",
            [new TourMetric("server managed", "KiB", false, 1), new TourMetric("server WS", "KiB", false, 1), new TourMetric("client managed", "KiB", false, 1), new TourMetric("client WS", "KiB", false, 1)]);

        foreach (int n in counts)
        {
            string rowName = $"Transport QUIC · {n:N0} connections";
            TimeSpan limit = TimeSpan.FromSeconds(quick ? 90 : 300);
            using var cts = new CancellationTokenSource(limit);
            try
            {
                await MeasureAsync(context, n, idleWindow, rate.Row(rowName), idle.Row(rowName), active.Row(rowName), cts.Token)
                    .WaitAsync(limit + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                string error = cts.IsCancellationRequested || e is TimeoutException ? $"abandoned after {limit.TotalSeconds:0} s" : $"{e.GetType().Name}: {e.Message}";
                foreach (TourTable t in new[] { rate, idle, active })
                {
                    if (t.Row(rowName).Values.Count == 0) t.Row(rowName).Error = error;
                }
            }
        }
        return [rate, idle, active];
    }

    private static async Task MeasureAsync(TourContext context, int n, TimeSpan idleWindow, TourRow rateRow, TourRow idleRow, TourRow activeRow, CancellationToken ct)
    {
        context.Progress.Report($"{Name}: starting the server process");
        await using var server = await ServerProcess.StartAsync(ct).ConfigureAwait(false);
        var options = TourPeers.QuicClientOptions(server.Pin, idleTimeout: IdleTimeout);
        var connections = new List<QuicConnection>(n);
        var streams = new List<QuicStream>(n);
        await using var endpoint = new QuicClientEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);

        // Warm up (JIT on both ends), then the baseline of an endpoint that has no connection.
        await using (QuicConnection warm = await endpoint.ConnectAsync(new QuicClientConnectionOptions { RemoteEndPoint = target, ConnectionOptions = options }, ct).ConfigureAwait(false))
        {
            await EchoOnceAsync(warm, ct).ConfigureAwait(false);
            await warm.CloseAsync(0, ct).ConfigureAwait(false);
        }
        await Task.Delay(500, ct).ConfigureAwait(false);
        Stats server0 = await server.StatsAsync(ct).ConfigureAwait(false);
        (long client0Managed, long client0Ws) = MeasureSelf();

        context.Progress.Report($"{Name}: {n:N0} handshakes");
        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        Stats serverBefore = await server.StatsAsync(ct, collect: false).ConfigureAwait(false);
        long t0 = Stopwatch.GetTimestamp();
        int failed = 0;
        string? firstFailure = null;
        // The handshake phase has a budget: past it no new handshake starts, and the figures are for the connections made.
        TimeSpan budget = TimeSpan.FromSeconds(context.Options.Quick ? 35 : 120);
        int started = 0;
        using (var gate = new SemaphoreSlim(InFlight))
        {
            var tasks = new List<Task>(n);
            for (int i = 0; i < n && Stopwatch.GetElapsedTime(t0) < budget; i++)
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                started++;
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        QuicConnection c = await endpoint.ConnectAsync(new QuicClientConnectionOptions { RemoteEndPoint = target, ConnectionOptions = options }, ct).ConfigureAwait(false);
                        lock (connections) connections.Add(c);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstFailure, $"{e.GetType().Name}: {e.Message}", null);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, ct));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(t0);
        TimeSpan clientCpu = CpuMeter.ProcessCpuTime() - cpu0;
        Stats serverAfter = await server.StatsAsync(ct, collect: false).ConfigureAwait(false);
        int ok = connections.Count;
        if (ok == 0) throw new InvalidOperationException($"no handshake succeeded ({firstFailure})");
        rateRow.Values["handshakes"] = ok / elapsed.TotalSeconds;
        rateRow.Values["CPU per handshake"] = (clientCpu + (serverAfter.Cpu - serverBefore.Cpu)).TotalMilliseconds / ok;
        string failures = failed > 0 ? $"; {failed} handshakes failed (first: {firstFailure})" : "";
        if (started < n) failures += $"; stopped at {ok:N0} of {n:N0} connections: the handshake phase's budget is {budget.TotalSeconds:0} s";
        rateRow.Note = $"{ok:N0} connections in {elapsed.TotalSeconds:0.0} s" + failures;

        // Idle: every handshake done; let the last ACKs and NEW_CONNECTION_IDs settle.
        await Task.Delay(context.Options.Quick ? 500 : 1000, ct).ConfigureAwait(false);
        context.Progress.Report($"{Name}: {n:N0} idle connections · memory");
        Stats serverIdle = await server.StatsAsync(ct).ConfigureAwait(false);
        (long clientIdleManaged, long clientIdleWs) = MeasureSelf();
        Fill(idleRow, server0, serverIdle, client0Managed, client0Ws, clientIdleManaged, clientIdleWs, ok);
        idleRow.Note = $"server sees {serverIdle.Connections:N0} connections" + failures;

        // Settle before the idle window: right after the handshakes the runtime still recompiles the handshake path at
        // tier 1 on a background thread (perf: about half of a 1 s window's samples were in libclrjit, three quarters
        // 10-20 s later), which is not what an idle connection costs; what the JIT thread still burns is subtracted.
        await Task.Delay(IdleSettle(context.Options.Quick), ct).ConfigureAwait(false);
        context.Progress.Report($"{Name}: {n:N0} idle connections · CPU for {idleWindow.TotalSeconds:0} s");
        long probes0 = PathMtuProbesSent(connections);
        Stats idleStart = await server.StatsAsync(ct, collect: false).ConfigureAwait(false);
        TimeSpan idleCpu0 = CpuMeter.ProcessCpuTime(), idleJit0 = TieredJitCpuTime();
        long i0 = Stopwatch.GetTimestamp();
        await Task.Delay(idleWindow, ct).ConfigureAwait(false);
        TimeSpan idleClientCpu = CpuMeter.ProcessCpuTime() - idleCpu0, idleClientJit = TieredJitCpuTime() - idleJit0;
        TimeSpan idleElapsed = Stopwatch.GetElapsedTime(i0);
        Stats idleEnd = await server.StatsAsync(ct, collect: false).ConfigureAwait(false);
        long idleProbes = PathMtuProbesSent(connections) - probes0;
        // The runtime's background tier-1 JIT (it went on for tens of seconds after the handshakes on a loaded machine:
        // three quarters of the idle window's perf samples) is the runtime's, not the connections': left out, and shown.
        TimeSpan idleServerCpu = idleEnd.Cpu - idleStart.Cpu, idleServerJit = idleEnd.Jit - idleStart.Jit;
        TimeSpan idleCpu = idleClientCpu - idleClientJit + idleServerCpu - idleServerJit;
        if (idleCpu < TimeSpan.Zero) idleCpu = TimeSpan.Zero;
        rateRow.Values["idle CPU"] = idleCpu.TotalMilliseconds / idleElapsed.TotalSeconds / (ok / 1000.0);
        rateRow.Note += $"; idle: client {idleClientCpu.TotalMilliseconds:0} ms (tier-1 JIT thread {idleClientJit.TotalMilliseconds:0} ms), " +
            $"server {idleServerCpu.TotalMilliseconds:0} ms (JIT {idleServerJit.TotalMilliseconds:0} ms) CPU in {idleElapsed.TotalSeconds:0.0} s, " +
            $"client path MTU probes in it {idleProbes:N0} ({PathMtuProbesSent(connections):N0} since the handshakes)";

        context.Progress.Report($"{Name}: {n:N0} connections · one stream each");
        using (var gate = new SemaphoreSlim(InFlight))
        {
            var tasks = new List<Task>(ok);
            foreach (QuicConnection c in connections)
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        QuicStream s = await EchoOnceAsync(c, ct).ConfigureAwait(false);
                        lock (streams) streams.Add(s);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, ct));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        await Task.Delay(500, ct).ConfigureAwait(false);
        Stats serverActive = await server.StatsAsync(ct).ConfigureAwait(false);
        (long clientActiveManaged, long clientActiveWs) = MeasureSelf();
        Fill(activeRow, server0, serverActive, client0Managed, client0Ws, clientActiveManaged, clientActiveWs, ok);
        activeRow.Note = $"{streams.Count:N0} streams open" + failures;

        context.Progress.Report($"{Name}: closing {n:N0} connections");
        foreach (QuicStream s in streams)
        {
            try { await s.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
        GC.KeepAlive(connections);
    }

    private static long PathMtuProbesSent(List<QuicConnection> connections)
    {
        long probes = 0;
        foreach (QuicConnection c in connections) probes += c.GetStatistics().PathMtuProbesSent;
        return probes;
    }

    private static TimeSpan IdleSettle(bool quick) => TimeSpan.FromSeconds(quick ? 3 : 5);

    private static void Fill(TourRow row, Stats server0, Stats server1, long client0Managed, long client0Ws, long client1Managed, long client1Ws, int n)
    {
        row.Values["server managed"] = (server1.Managed - server0.Managed) / 1024.0 / n;
        row.Values["server WS"] = (server1.WorkingSet - server0.WorkingSet) / 1024.0 / n;
        row.Values["client managed"] = (client1Managed - client0Managed) / 1024.0 / n;
        row.Values["client WS"] = (client1Ws - client0Ws) / 1024.0 / n;
    }

    /// <summary>Opens a stream, has 1 KiB echoed, and leaves the stream open.</summary>
    private static async Task<QuicStream> EchoOnceAsync(QuicConnection connection, CancellationToken ct)
    {
        QuicStream stream = await connection.OpenOutboundStreamAsync(bidirectional: true, ct).ConfigureAwait(false);
        byte[] data = new byte[1024];
        await stream.WriteAsync(data, ct).ConfigureAwait(false);
        await stream.ReadExactlyAsync(data, ct).ConfigureAwait(false);
        return stream;
    }

    private static (long Managed, long WorkingSet) MeasureSelf()
    {
        FullCollect();
        using Process self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }

    private static void FullCollect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private readonly record struct Stats(long Managed, long WorkingSet, TimeSpan Cpu, int Connections, TimeSpan Jit);

    private static readonly Dictionary<int, long> JitThreadTicks = new();
    private static long s_jitTicks;

    /// <summary>
    /// CPU time the runtime's tiered-compilation background thread burnt so far in this process, as far as it was seen
    /// (Linux: /proc/self/task/*/comm ".NET Tiered Com…", utime + stime from its stat); zero elsewhere. The runtime ends
    /// that thread when it has nothing to do and starts a new one later, so the sum over the threads alive now can fall
    /// (it did, by 670 ms, inside one 5 s idle window, and the idle CPU figure went up by as much); instead each thread's
    /// growth since it was last seen is added to a running total, which never falls. What a thread burnt after it was
    /// last seen and before it exited is lost, so a difference can only understate the JIT's share.
    /// </summary>
    private static TimeSpan TieredJitCpuTime()
    {
        lock (JitThreadTicks)
        {
            foreach (var (tid, ticks) in TieredJitThreads())
            {
                long before = JitThreadTicks.GetValueOrDefault(tid);
                if (ticks > before) s_jitTicks += ticks - before;
                JitThreadTicks[tid] = ticks;
            }
            return TimeSpan.FromMilliseconds(s_jitTicks * 10);
        }
    }

    /// <summary>The tiered-compilation threads alive now and their CPU ticks (1/100 s) so far; none off Linux.</summary>
    private static List<(int Tid, long Ticks)> TieredJitThreads()
    {
        var result = new List<(int, long)>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string comm;
                string stat;
                try
                {
                    comm = File.ReadAllText(Path.Combine(task, "comm"));
                    if (!comm.StartsWith(".NET Tiered", StringComparison.Ordinal)) continue;
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (IOException) { continue; }
                // Fields after the parenthesised name: state is field 3, utime 14 and stime 15 (clock ticks of 1/100 s).
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                result.Add((tid, long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            result.Clear();
        }
        return result;
    }

    /// <summary>The server child: <c>tour --scale-server</c>. Answers "stats" / "cpu" lines on stdin; "quit" ends it.</summary>
    public static async Task<int> RunServerChildAsync()
    {
        using var peers = new TourPeers();
        QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = peers.QuicServerOptions(IdleTimeout, maxStreams: 10),
            AcceptBacklog = 4096,
        }).ConfigureAwait(false);
        var server = new QuicEchoServer(listener);
        Console.WriteLine($"ready {listener.LocalEndPoint.Port} {Convert.ToHexString(peers.Pin)}");
        string? line;
        while ((line = Console.ReadLine()) is not null && line != "quit")
        {
            if (line == "stats") FullCollect();
            using Process self = Process.GetCurrentProcess();
            long managed = line == "stats" ? GC.GetTotalMemory(forceFullCollection: true) : GC.GetTotalMemory(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stats {managed} {self.WorkingSet64} {CpuMeter.ProcessCpuTime().Ticks} {server.ConnectionCount} {TieredJitCpuTime().Ticks}"));
        }
        try { await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (Exception) { }
        return 0;
    }

    /// <summary>The parent's handle on the server child.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly SemaphoreSlim _lock = new(1, 1);

        private ServerProcess(Process process, int port, byte[] pin)
        {
            _process = process;
            Port = port;
            Pin = pin;
        }

        public int Port { get; }

        public byte[] Pin { get; }

        public static async Task<ServerProcess> StartAsync(CancellationToken ct)
        {
            string dll = typeof(ScaleSection).Assembly.Location;
            string? self = Environment.ProcessPath;
            bool apphost = self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(dll);
            string host = apphost ? self! : self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
            var info = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
            if (!apphost) info.ArgumentList.Add(dll);
            info.ArgumentList.Add("tour");
            info.ArgumentList.Add("--scale-server");
            Process process = Process.Start(info) ?? throw new InvalidOperationException("the server process did not start");
            try
            {
                string? ready = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                string[] parts = ready?.Split(' ') ?? [];
                if (parts.Length != 3 || parts[0] != "ready") throw new InvalidOperationException($"the server process said '{ready}'");
                return new ServerProcess(process, int.Parse(parts[1], CultureInfo.InvariantCulture), Convert.FromHexString(parts[2]));
            }
            catch
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                process.Dispose();
                throw;
            }
        }

        /// <summary>The child's memory (after a full GC when <paramref name="collect"/>), CPU time, connection count and tier-1 JIT thread CPU.</summary>
        public async Task<Stats> StatsAsync(CancellationToken ct, bool collect = true)
        {
            await _lock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await _process.StandardInput.WriteLineAsync(collect ? "stats" : "cpu").ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(ct).ConfigureAwait(false);
                string? line = await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                string[] p = line?.Split(' ') ?? [];
                if (p.Length != 6 || p[0] != "stats") throw new InvalidOperationException($"the server process said '{line}'");
                return new Stats(long.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture),
                    TimeSpan.FromTicks(long.Parse(p[3], CultureInfo.InvariantCulture)), int.Parse(p[4], CultureInfo.InvariantCulture),
                    TimeSpan.FromTicks(long.Parse(p[5], CultureInfo.InvariantCulture)));
            }
            finally
            {
                _lock.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit").ConfigureAwait(false);
                await _process.StandardInput.FlushAsync().ConfigureAwait(false);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                try { _process.Kill(); } catch (InvalidOperationException) { }
            }
            _process.Dispose();
            _lock.Dispose();
        }
    }
}
