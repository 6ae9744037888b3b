using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Transport.Core.Simulation;

namespace Transport.Bench.Link;

/// <summary>
/// <c>link</c> command. <c>link selfcheck</c>: builds a 50 ms RTT, 100 Mbit/s, 1-BDP drop-tail <see cref="NamespaceLink"/>,
/// checks the RTT with a UDP ping-pong, runs kernel TCP bulk transfers (cubic, then bbr) from A to B at 0 % and 1 % loss,
/// and measures the forwarder's ceiling on an unimpaired link; prints Markdown tables. Options: <c>--seconds S</c>
/// (per transfer, default 5), <c>--spin-us U</c> (spin margin, default 20), <c>--rt-priority P</c> (SCHED_FIFO priority
/// of the forwarder threads, 0 for normal threads, default 50), <c>--forwarder process|thread</c> (a child process, the
/// default, or two threads of this process). <c>link forward</c> is the child side (see <see cref="ForwarderProcess"/>). <c>link sweep</c>: deletes stale namespaces.
/// </summary>
internal static class LinkTool
{
    private const int Port = 5201;

    public static int Run(string[] args)
    {
        string sub = args.Length > 0 ? args[0] : "";
        double seconds = 5, spinUs = NamespaceLink.DefaultSpinMargin.TotalMicroseconds;
        int priority = 50;
        bool outOfProcess = true;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--spin-us": spinUs = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--forwarder": outOfProcess = args[i + 1] != "thread"; break;
                case "--rt-priority": priority = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        switch (sub)
        {
            case "selfcheck":
                return SelfCheck(seconds, TimeSpan.FromMicroseconds(spinUs), priority, outOfProcess);
            case "forward":
                return ForwarderProcess.RunChild();
            case "sweep":
                Console.WriteLine($"removed {NamespaceLink.SweepStale()} stale namespaces");
                return 0;
            default:
                Console.Error.WriteLine("usage: link selfcheck [--seconds S] [--spin-us U] [--rt-priority P] [--forwarder process|thread] | link sweep");
                return 2;
        }
    }

    /// <summary>The tour's path: one-way delay RTT/2 each way, a bottleneck each way with a 1-BDP byte queue, random loss both ways.</summary>
    public static LinkConditions PathConditions(TimeSpan rtt, long bitsPerSecond, double loss) => new()
    {
        Delay = rtt / 2,
        BandwidthBitsPerSecond = bitsPerSecond,
        QueueCapacityBytes = (long)(bitsPerSecond * rtt.TotalSeconds / 8),
        LossRate = loss,
    };

    private static int SelfCheck(double seconds, TimeSpan spin, int priority, bool outOfProcess)
    {
        if (!NamespaceLink.IsSupported(out string reason))
        {
            Console.WriteLine($"link selfcheck skipped: {reason}");
            return 1;
        }
        string available = File.ReadAllText("/proc/sys/net/ipv4/tcp_available_congestion_control").Trim();
        var algorithms = new List<string> { "cubic" };
        if (available.Split(' ').Contains("bbr")) algorithms.Add("bbr");
        else Console.WriteLine($"bbr is not available (tcp_available_congestion_control: {available}); only cubic runs.");

        var rtt = TimeSpan.FromMilliseconds(50);
        const long bandwidth = 100_000_000;
        Console.WriteLine($"# link selfcheck: RTT {rtt.TotalMilliseconds} ms, {bandwidth / 1e6} Mbit/s, queue 1 BDP = {bandwidth * rtt.TotalSeconds / 8:N0} B each way, " +
            $"forwarder in {(outOfProcess ? "a child process" : "this process")}, spin margin {spin.TotalMicroseconds} µs, SCHED_FIFO priority {priority}, {seconds} s per transfer, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        var sb = new StringBuilder();
        sb.AppendLine("| loss | test | result | A->B forwarded / lost / queue drops / ring drops | A->B lateness µs p50 / p99 / max | forwarder CPU (both threads) |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- |");
        var total = Stopwatch.StartNew();
        string? realtimeNote = null;
        int failures = 0;
        void Row(double lossRate, string test, LinkConditions c, Func<NamespaceLink, string> body)
        {
            var link = new NamespaceLink(c, c, seed: 7, spinMargin: spin, realtimePriority: priority, outOfProcess: outOfProcess);
            string result;
            try
            {
                result = body(link);
            }
            finally
            {
                link.Dispose(); // stops the forwarder: its counters and CPU time are final
            }
            var d = link.Statistics(LinkSide.A) ?? throw new InvalidOperationException("The forwarder gave no statistics.");
            var back = link.Statistics(LinkSide.B)!;
            if (!d.Realtime && priority > 0) realtimeNote = $"SCHED_FIFO refused ({d.RealtimeError}): the forwarder ran as normal threads.";
            double cpu = (d.CpuSeconds + back.CpuSeconds) / d.WallSeconds;
            string loss = double.IsNaN(lossRate) ? "none, no delay, no bottleneck" : lossRate.ToString("P0", CultureInfo.InvariantCulture);
            sb.AppendLine($"| {loss} | {test} | {result} | {d.Forwarded:N0} / {d.DroppedLoss:N0} / {d.DroppedQueueFull:N0} / {d.DroppedRingFull:N0} | " +
                $"{d.LatenessP50Microseconds:F0} / {d.LatenessP99Microseconds:F0} / {d.LatenessMaxMicroseconds:F0} (packet {d.LatenessMaxPacket:N0}) | {cpu:P0} of a core |");
        }
        // Isolation: each side owns its address only; the host has neither.
        Row(0, "isolation", PathConditions(rtt, bandwidth, 0), link =>
        {
            bool aOwnsA = CanBind(() => link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), NamespaceLink.AddressA);
            bool aOwnsB = CanBind(() => link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), NamespaceLink.AddressB);
            bool hostOwnsA = CanBind(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), NamespaceLink.AddressA);
            bool hostOwnsB = CanBind(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), NamespaceLink.AddressB);
            bool ok = aOwnsA && !aOwnsB && !hostOwnsA && !hostOwnsB;
            if (!ok) failures++;
            return $"{(ok ? "ok" : "FAILED")}: bind {NamespaceLink.AddressA} in A {aOwnsA}, {NamespaceLink.AddressB} in A {aOwnsB}, either in the host {hostOwnsA}/{hostOwnsB}";
        });
        foreach (double loss in new[] { 0.0, 0.01 })
        {
            var conditions = PathConditions(rtt, bandwidth, loss);
            if (loss == 0)
            {
                Row(loss, "UDP ping-pong x20", conditions, link =>
                {
                    var (min, avg, max, lost) = Ping(link, 20);
                    bool ok = lost == 0 && min >= rtt.TotalMilliseconds && min < rtt.TotalMilliseconds + 5;
                    if (!ok) failures++;
                    return $"RTT min/avg/max {min:F2} / {avg:F2} / {max:F2} ms, {lost} lost{(ok ? "" : $" (FAILED: expected every reply, min RTT in [{rtt.TotalMilliseconds}, {rtt.TotalMilliseconds + 5}) ms)")}";
                });
            }
            foreach (string cc in algorithms)
            {
                Row(loss, $"TCP {cc}, {seconds:0.#} s", conditions, link =>
                {
                    var r = TcpBulk(link, cc, seconds);
                    return $"{r.Mbps:F1} Mbit/s (last {r.TailSeconds:0.#} s: {r.TailMbps:F1}); sender srtt {r.SenderRttMs:F1} ms, {r.Retransmits} retransmits";
                });
            }
        }
        // The forwarder's ceiling: no delay, no bottleneck, no loss; the forwarder (or the TCP endpoints) is the limit.
        double ceilingSeconds = Math.Min(seconds, 3);
        Row(double.NaN, $"TCP cubic, {ceilingSeconds:0.#} s (ceiling)", new LinkConditions(), link =>
        {
            var r = TcpBulk(link, "cubic", ceilingSeconds);
            return $"{r.Mbps:F0} Mbit/s, {link.Statistics(LinkSide.A)!.Forwarded / ceilingSeconds:N0} packets/s A->B";
        });
        Console.Write(sb.ToString());
        Console.WriteLine();
        if (realtimeNote is not null) Console.WriteLine(realtimeNote);
        Console.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s. Expected: RTT about 50 ms; at 0 % loss both near 95 Mbit/s; at 1 % loss cubic a few Mbit/s, bbr about 90 Mbit/s.");
        Console.WriteLine("Lateness: when each packet was written to the far TUN device minus when the model said it was due.");
        return failures == 0 ? 0 : 1;
    }

    private static bool CanBind(Func<Socket> create, IPAddress address)
    {
        using var socket = create();
        try
        {
            socket.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (double Min, double Avg, double Max, int Lost) Ping(NamespaceLink link, int count)
    {
        using var echo = link.CreateSocket(LinkSide.B, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var client = link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(NamespaceLink.AddressB, Port));
        client.Bind(new IPEndPoint(NamespaceLink.AddressA, 0));
        echo.ReceiveTimeout = 2000;
        client.ReceiveTimeout = 1000;
        var echoThread = new Thread(() =>
        {
            var buffer = new byte[64];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    int n = echo.ReceiveFrom(buffer, ref from);
                    echo.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
                }
            }
            catch (SocketException) { } // timeout or closed: done
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        echoThread.Start();
        var target = new IPEndPoint(NamespaceLink.AddressB, Port);
        var rtts = new List<double>();
        int lost = 0;
        var buffer = new byte[64];
        for (int i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(buffer, i);
            long t0 = Stopwatch.GetTimestamp();
            client.SendTo(buffer.AsSpan(0, 8), target);
            try
            {
                while (true)
                {
                    int n = client.Receive(buffer);
                    if (n >= 4 && BitConverter.ToInt32(buffer, 0) == i) break;
                }
                rtts.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            catch (SocketException)
            {
                lost++;
            }
            Thread.Sleep(10);
        }
        echo.Close();
        echoThread.Join(3000);
        return rtts.Count == 0 ? (double.NaN, double.NaN, double.NaN, lost) : (rtts.Min(), rtts.Average(), rtts.Max(), lost);
    }

    private readonly record struct BulkResult(double Mbps, double TailMbps, double TailSeconds, double SenderRttMs, long Retransmits);

    /// <summary>From struct tcp_info (linux/tcp.h): tcpi_rtt (µs, offset 68), tcpi_total_retrans (100), tcpi_bytes_received (128).</summary>
    private static (long BytesReceived, double RttMs, long TotalRetrans) TcpInfo(Socket socket)
    {
        Span<byte> info = stackalloc byte[232];
        int n = socket.GetRawSocketOption(6, 11, info); // IPPROTO_TCP, TCP_INFO
        if (n < 136) return (-1, double.NaN, -1);
        return (BitConverter.ToInt64(info[128..]), BitConverter.ToUInt32(info[68..]) / 1000.0, BitConverter.ToUInt32(info[100..]));
    }

    /// <summary>A kernel TCP bulk transfer from A to B for <paramref name="seconds"/>, with congestion control <paramref name="cc"/>.</summary>
    private static BulkResult TcpBulk(NamespaceLink link, string cc, double seconds)
    {
        using var pair = LinkTcpPair.Connect(link, Port, cc);
        Socket client = pair.Client, server = pair.Server;
        server.ReceiveTimeout = 5000;

        long received = 0;
        var receiver = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            try
            {
                int n;
                while ((n = server.Receive(buffer)) > 0) Interlocked.Add(ref received, n);
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        var stop = 0;
        var sender = new Thread(() =>
        {
            var buffer = new byte[64 * 1024];
            client.SendTimeout = 1000;
            try
            {
                while (Volatile.Read(ref stop) == 0) client.Send(buffer);
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        receiver.Start();
        sender.Start();
        var clock = Stopwatch.StartNew();
        double tailSeconds = Math.Max(1, seconds - 1);
        // Goodput from the receiving kernel's own count (tcpi_bytes_received), so a receiver thread that waits for a
        // core on a busy machine does not skew it; the application count is the fallback.
        long Received() => TcpInfo(server).BytesReceived is >= 0 and var b ? b : Interlocked.Read(ref received);
        Thread.Sleep(TimeSpan.FromSeconds(seconds - tailSeconds));
        long atTailStart = Received();
        double tailStart = clock.Elapsed.TotalSeconds;
        Thread.Sleep(TimeSpan.FromSeconds(seconds) - clock.Elapsed);
        long atEnd = Received();
        double end = clock.Elapsed.TotalSeconds;
        var (_, rttMs, retrans) = TcpInfo(client);
        Volatile.Write(ref stop, 1);
        client.Close(0); // abortive: the transfer is measured, do not wait for the queue to drain
        server.Close(0);
        sender.Join(3000);
        receiver.Join(3000);
        return new BulkResult(atEnd * 8 / end / 1e6, (atEnd - atTailStart) * 8 / (end - tailStart) / 1e6, end - tailStart, rttMs, retrans);
    }
}
