using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Transport.Bench.Link;
using Transport.Core.Simulation;

namespace Transport.Bench.Tour;

/// <summary>
/// A kernel TCP bulk transfer (cubic or bbr, set with TCP_CONGESTION and checked) from namespace A to B through a
/// <see cref="NamespaceLink"/> in real time, sampled every 50 ms through TCP_INFO: window, bytes in flight ((unacked − sacked − lost + retrans) × MSS), delivery rate, smoothed RTT
/// and minimum RTT. Goodput is the receiving kernel's count (tcpi_bytes_received); the retransmission rate is
/// tcpi_bytes_retrans / tcpi_bytes_sent; the queueing delay is each sample's srtt − min RTT (a smoothed estimate, not
/// per-packet sojourn).
/// </summary>
internal static class KernelTcpPathRun
{
    private const int Port = 5202;
    private static string? s_supported; // "" when links can be built here, else why not (checked once: it creates a namespace)

    public sealed record Result(double GoodputBitsPerSecond, double RetransmissionRate, double QueueingMeanMs, double QueueingP99Ms,
        List<(double Seconds, long Cwnd, long BytesInFlight, double DeliveryBitsPerSecond)> Samples, string Note);

    /// <summary>Null when kernel TCP rows can run here; otherwise why not.</summary>
    public static string? Unsupported(string algorithm)
    {
        s_supported ??= NamespaceLink.IsSupported(out string reason) ? "" : reason;
        if (s_supported.Length > 0)
        {
            return s_supported.StartsWith("Not running as root", StringComparison.Ordinal) ? "needs root (network namespaces)" : "not run: " + s_supported;
        }
        try
        {
            string available = File.ReadAllText("/proc/sys/net/ipv4/tcp_available_congestion_control");
            if (!available.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(algorithm))
                return $"kernel has no {algorithm} (tcp_available_congestion_control: {available.Trim()})";
        }
        catch (IOException e)
        {
            return $"cannot read tcp_available_congestion_control: {e.Message}";
        }
        return null;
    }

    public static Result Run(LinkConditions path, string algorithm, TimeSpan warmup, TimeSpan measure)
    {
        using var link = new NamespaceLink(path, path, seed: 7);
        using var pair = LinkTcpPair.Connect(link, Port, algorithm);
        Socket client = pair.Client, server = pair.Server;

        int stop = 0;
        var receiver = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (server.Receive(buffer) > 0) { }
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true, Name = "tour cc tcp receiver" };
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
        }) { IsBackground = true, Name = "tour cc tcp sender" };
        receiver.Start();
        sender.Start();

        var samples = new List<(double, long, long, double)>();
        var queueing = new List<double>();
        var clock = Stopwatch.StartNew();
        TimeSpan interval = TimeSpan.FromMilliseconds(50), end = warmup + measure;
        TcpInfo startClient = default, startServer = default;
        double measureStart = 0;
        bool measuring = false;
        for (TimeSpan next = interval; ; next += interval)
        {
            TimeSpan wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            TcpInfo c = TcpInfo.Read(client), s = TcpInfo.Read(server);
            double t = clock.Elapsed.TotalSeconds;
            samples.Add((t, c.CwndBytes, c.InFlightBytes, c.DeliveryRateBytesPerSecond * 8.0));
            if (!measuring && clock.Elapsed >= warmup)
            {
                measuring = true;
                startClient = c;
                startServer = s;
                measureStart = t;
            }
            else if (measuring && c.RttUs > 0 && c.MinRttUs > 0)
            {
                queueing.Add(Math.Max(0, c.RttUs - c.MinRttUs) / 1000.0);
            }
            if (clock.Elapsed >= end)
            {
                double seconds = t - measureStart;
                double goodput = (s.BytesReceived - startServer.BytesReceived) * 8 / seconds;
                long sent = c.BytesSent - startClient.BytesSent, retrans = c.BytesRetrans - startClient.BytesRetrans;
                Volatile.Write(ref stop, 1);
                client.Close(0); // abortive: the transfer is measured, do not wait for the queue to drain
                server.Close(0);
                sender.Join(3000);
                receiver.Join(3000);
                queueing.Sort();
                double mean = queueing.Count > 0 ? queueing.Average() : double.NaN;
                double p99 = queueing.Count > 0 ? queueing[Math.Min(queueing.Count - 1, (int)Math.Ceiling(queueing.Count * 0.99) - 1)] : double.NaN;
                LinkDirectionStats? stats = link.Statistics(LinkSide.A);
                string note = stats is null ? "" : $"link A→B: {stats.Forwarded:N0} forwarded, {stats.DroppedLoss:N0} random losses, {stats.DroppedQueueFull:N0} queue drops, lateness p99 {stats.LatenessP99Microseconds:F0} µs";
                return new Result(goodput, sent > 0 ? (double)retrans / sent : 0, mean, p99, samples, note);
            }
        }
    }

    /// <summary>The fields of struct tcp_info (linux/tcp.h) this run reads.</summary>
    private readonly record struct TcpInfo(long RttUs, long MinRttUs, long CwndBytes, long InFlightBytes, long DeliveryRateBytesPerSecond, long BytesReceived, long BytesSent, long BytesRetrans)
    {
        public static TcpInfo Read(Socket socket)
        {
            Span<byte> info = stackalloc byte[232];
            int n;
            try
            {
                n = socket.GetRawSocketOption(6, 11, info); // IPPROTO_TCP, TCP_INFO
            }
            catch (SocketException)
            {
                return default;
            }
            catch (ObjectDisposedException)
            {
                return default;
            }
            if (n < 216) return default;
            uint mss = BitConverter.ToUInt32(info[16..]), rtt = BitConverter.ToUInt32(info[68..]), cwnd = BitConverter.ToUInt32(info[80..]);
            uint minRtt = BitConverter.ToUInt32(info[148..]);
            // Packets in flight as Linux counts them (tcp_packets_in_flight): unacked − sacked − lost + retrans.
            long unacked = BitConverter.ToUInt32(info[24..]), sacked = BitConverter.ToUInt32(info[28..]), lost = BitConverter.ToUInt32(info[32..]), retrans = BitConverter.ToUInt32(info[36..]);
            long inFlight = Math.Max(0, unacked - sacked - lost + retrans) * mss;
            return new TcpInfo(rtt, minRtt, (long)cwnd * mss, inFlight, (long)BitConverter.ToUInt64(info[160..]), (long)BitConverter.ToUInt64(info[128..]),
                (long)BitConverter.ToUInt64(info[200..]), (long)BitConverter.ToUInt64(info[208..]));
        }
    }
}
