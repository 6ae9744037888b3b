using System.Diagnostics;
using System.Globalization;
using System.Net;
using Transport.Core.Time;
using Transport.Quic.Connection;

namespace Transport.Bench.Quic;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- pingpong [count]</c>: the connection cores' share of the
/// tour's 64-byte request/response, in memory on one thread (no sockets, no locks, no thread hops): the client writes
/// 64 bytes, its datagram goes straight into the server's <c>HandleDatagram</c>, the server reads and writes the 64
/// bytes back, and so on. Prints the median and mean wall time of each call (write, poll transmit, handle datagram,
/// events + read) per direction, and bytes allocated per round trip; a loop to profile the per-packet receive path
/// with <c>perf</c>.
/// </summary>
internal static class PingPongTool
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Loopback, 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Loopback, 4433);

    public static int Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        using var pair = new InMemoryConnectionPair(1452, pathMtuDiscovery: false); // no probes among the 64-byte packets
        QuicConnectionCore client = pair.Client, server = pair.Server;
        if (!client.TryOpenStream(bidirectional: true, out long id)) throw new InvalidOperationException("Could not open a stream.");
        var datagram = new byte[65536];
        var message = new byte[64];
        var read = new byte[4096];
        Instant now = pair.Now;
        string[] names = ["write", "poll transmit", "handle datagram", "events + read"];
        // [call, direction] samples of the timed pass.
        var samples = new long[names.Length * 2][];
        for (int i = 0; i < samples.Length; i++) samples[i] = new long[count];

        void RoundTrip(int index, bool record)
        {
            OneWay(client, server, ClientAddress, 0, index, record);
            OneWay(server, client, ServerAddress, 1, index, record);
        }

        void OneWay(QuicConnectionCore from, QuicConnectionCore to, IPEndPoint source, int direction, int index, bool record)
        {
            long t0 = Stopwatch.GetTimestamp();
            from.WriteStream(id, message);
            long t1 = Stopwatch.GetTimestamp();
            int n = from.PollTransmit(now, datagram, out _);
            long t2 = Stopwatch.GetTimestamp();
            if (n == 0) throw new InvalidOperationException("Nothing to send after a write.");
            now += TimeSpan.FromMicroseconds(10);
            to.HandleDatagram(now, source, datagram.AsSpan(0, n));
            long t3 = Stopwatch.GetTimestamp();
            if (!record) // warm-up only: what else is queued (post-handshake frames) goes too before the read
            {
                while (from.PollTransmit(now, datagram, out _) is > 0 and int k) to.HandleDatagram(now, source, datagram.AsSpan(0, k));
            }
            int got = 0;
            while (to.PollEvent(out ConnectionEvent e))
            {
                if (e.Kind == ConnectionEventKind.Closed) throw new InvalidOperationException($"Closed: {e}");
            }
            got += to.ReadStream(id, read, out _);
            long t4 = Stopwatch.GetTimestamp();
            if (got != message.Length) throw new InvalidOperationException($"Read {got} bytes, expected {message.Length} (direction {direction}, datagram {n} B, stream {id}).");
            // Anything else the sender wants to send now (it should be nothing: one datagram per direction).
            while (from.PollTransmit(now, datagram, out _) is > 0 and int m) to.HandleDatagram(now, source, datagram.AsSpan(0, m));
            foreach (var c in (ReadOnlySpan<QuicConnectionCore>)[from, to])
            {
                if (c.NextTimeout() is { } t && t <= now) c.HandleTimeout(now);
            }
            if (!record) return;
            samples[0 * 2 + direction][index] = t1 - t0;
            samples[1 * 2 + direction][index] = t2 - t1;
            samples[2 * 2 + direction][index] = t3 - t2;
            samples[3 * 2 + direction][index] = t4 - t3;
        }

        for (int i = 0; i < 20_000; i++) RoundTrip(0, false);
        long packets0 = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent;
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        long cpu0 = ThreadCpuClock.NowNanoseconds();
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++) RoundTrip(i, true);
        double wall = Stopwatch.GetElapsedTime(w0).TotalSeconds;
        double cpu = (ThreadCpuClock.NowNanoseconds() - cpu0) / 1e9;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        long packets = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent - packets0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pingpong: {count:N0} round trips of 64 B in memory, one thread: {cpu * 1e6 / count:F2} CPU us per round trip (thread CPU {cpu / wall * 100:F0}% of wall), {packets / (double)count:F2} packets per round trip, {allocated / (double)count:F1} B allocated per round trip"));
        double tick = 1e9 / Stopwatch.Frequency;
        for (int c = 0; c < names.Length; c++)
        {
            for (int d = 0; d < 2; d++)
            {
                long[] s = samples[c * 2 + d];
                double mean = 0;
                foreach (long v in s) mean += v;
                mean = mean / s.Length * tick;
                Array.Sort(s);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {(d == 0 ? "client->server" : "server->client"),-15} {names[c],-16} p50 {s[s.Length / 2] * tick,7:F0} ns, mean {mean,7:F0} ns"));
            }
        }
        return 0;
    }
}
