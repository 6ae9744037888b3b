using System.Diagnostics;
using System.Globalization;

namespace Transport.Bench.Quic;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- connpair [megabytes] [rounds] [mds] [pmtud] [single|ab]</c>: the quick,
/// non-BenchmarkDotNet figure for the connection's steady-state data path. Moves the given megabytes (default 64) on
/// one stream of an <see cref="InMemoryConnectionPair"/>, after a warm-up of the same size, a few rounds, and prints
/// per round: CPU ns per stream byte (client and server together, one thread; the thread's CPU clock, so other load on
/// the machine does not count), the single-core throughput that makes,
/// and bytes allocated per packet (total, and split between PollTransmit and HandleDatagram), with the wall time per
/// packet inside each (an untimed pass; wall clock, so other load inflates both alike). Path MTU discovery is off
/// unless the fourth argument is <c>pmtud</c>: without it every datagram is <c>mds</c> bytes (1452 by default, the
/// tour's "Transport QUIC, 1452 B" row); with it the in-memory path lets datagrams grow to about 64 KiB. Each side sends
/// its batch (16 datagrams) with one PollTransmitBatch call, as the endpoint does, unless an argument is <c>single</c>
/// (one PollTransmit per datagram, as before batching).
/// </summary>
internal static class ConnectionPairTool
{
    public static int Run(string[] args)
    {
        int megabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 64;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        int mds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1452;
        bool pmtud = args.Length > 3 && args.AsSpan(3).Contains("pmtud");
        bool single = args.Length > 3 && args.AsSpan(3).Contains("single");
        if (args.Length > 3 && args.AsSpan(3).Contains("ab")) return CompareSingleAndBatch(megabytes, rounds, mds, pmtud);
        long bytes = (long)megabytes << 20;
        using var pair = new InMemoryConnectionPair(mds, pathMtuDiscovery: pmtud) { UseTransmitBatch = !single };
        Console.WriteLine($"connpair: {megabytes} MB per round on one stream, max datagram size {mds}, path MTU discovery {(pmtud ? "on" : "off")}, {(single ? "one PollTransmit per datagram" : $"PollTransmitBatch of up to {pair.BatchSize}")}, in-memory pair, one thread");
        if (!pair.Transfer(bytes)) return Fail(pair, "warm-up");
        for (int round = 0; round < rounds; round++)
        {
            // Timed pass without per-call counters.
            long packets0 = pair.ClientDatagrams + pair.ServerDatagrams;
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            int gc0 = GC.CollectionCount(0);
            long thread0 = ThreadCpuClock.NowNanoseconds();
            long t0 = Stopwatch.GetTimestamp();
            if (!pair.Transfer(bytes)) return Fail(pair, "timed round");
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double cpuSeconds = thread0 < 0 ? seconds : (ThreadCpuClock.NowNanoseconds() - thread0) / 1e9;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
            long packets = pair.ClientDatagrams + pair.ServerDatagrams - packets0;
            int gcs = GC.CollectionCount(0) - gc0;
            // Split pass with per-call counters (a little slower, not timed).
            pair.MeasureAllocationsPerCall = true;
            long tx0 = pair.TransmitAllocated, rx0 = pair.ReceiveAllocated, sp0 = pair.ClientDatagrams + pair.ServerDatagrams;
            long txT0 = pair.TransmitTicks, rxT0 = pair.ReceiveTicks;
            if (!pair.Transfer(bytes / 4)) return Fail(pair, "allocation round");
            long splitPackets = pair.ClientDatagrams + pair.ServerDatagrams - sp0;
            double tx = (pair.TransmitAllocated - tx0) / (double)splitPackets, rx = (pair.ReceiveAllocated - rx0) / (double)splitPackets;
            double txNs = (pair.TransmitTicks - txT0) * 1e9 / Stopwatch.Frequency / splitPackets;
            double rxNs = (pair.ReceiveTicks - rxT0) * 1e9 / Stopwatch.Frequency / splitPackets;
            pair.MeasureAllocationsPerCall = false;
            double nsPerByte = cpuSeconds * 1e9 / bytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1}: {nsPerByte:F3} CPU ns/byte ({bytes * 8 / cpuSeconds / 1e9:F2} Gbit/s per core; thread CPU {cpuSeconds / seconds * 100:F0}% of wall), " +
                $"{packets:N0} packets ({cpuSeconds * 1e9 / packets:F0} CPU ns/packet), {allocated / (double)packets:F1} B allocated/packet (PollTransmit {tx:F1}, HandleDatagram {rx:F1}), gen0 GCs {gcs}; " +
                $"wall ns/packet in PollTransmit {txNs:F0}, HandleDatagram {rxNs:F0}"));
        }
        CryptoCallCosts(mds);
        var c = pair.Client.GetStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"client: cwnd {c.CongestionWindow:N0} B, srtt {c.SmoothedRtt.TotalMicroseconds:F0} us (virtual), sent {c.PacketsSent:N0}, lost {c.PacketsLost:N0}; server sent {pair.Server.GetStatistics().PacketsSent:N0}"));
        return 0;
    }

    /// <summary>
    /// <c>connpair MB rounds mds ab</c>: one pair sending with one PollTransmit per datagram (A) and one with
    /// PollTransmitBatch (B), in the same process, rounds alternating A B A B, so that the load of other processes on the
    /// machine hits both alike; prints each round and the median and minimum CPU ns per packet of each, and B / A.
    /// </summary>
    private static int CompareSingleAndBatch(int megabytes, int rounds, int mds, bool pmtud)
    {
        long bytes = (long)megabytes << 20;
        using var a = new InMemoryConnectionPair(mds, pathMtuDiscovery: pmtud) { UseTransmitBatch = false };
        using var b = new InMemoryConnectionPair(mds, pathMtuDiscovery: pmtud) { UseTransmitBatch = true };
        Console.WriteLine($"connpair ab: {megabytes} MB per round, max datagram size {mds}, path MTU discovery {(pmtud ? "on" : "off")}; A = one PollTransmit per datagram, B = PollTransmitBatch of up to {b.BatchSize}");
        if (!a.Transfer(bytes)) return Fail(a, "warm-up");
        if (!b.Transfer(bytes)) return Fail(b, "warm-up");
        var nsA = new double[rounds];
        var nsB = new double[rounds];
        double Round(InMemoryConnectionPair pair)
        {
            long packets0 = pair.ClientDatagrams + pair.ServerDatagrams;
            long thread0 = ThreadCpuClock.NowNanoseconds();
            if (!pair.Transfer(bytes)) throw new InvalidOperationException("the transfer stalled");
            return (ThreadCpuClock.NowNanoseconds() - thread0) / (double)(pair.ClientDatagrams + pair.ServerDatagrams - packets0);
        }
        for (int r = 0; r < rounds; r++)
        {
            nsA[r] = Round(a);
            nsB[r] = Round(b);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: A {nsA[r]:F0} CPU ns/packet, B {nsB[r]:F0}, B/A {nsB[r] / nsA[r]:F3}"));
        }
        Array.Sort(nsA);
        Array.Sort(nsB);
        double medA = nsA[rounds / 2], medB = nsB[rounds / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: A {medA:F0}, B {medB:F0} CPU ns/packet (B/A {medB / medA:F3}); minimum: A {nsA[0]:F0}, B {nsB[0]:F0} (B/A {nsB[0] / nsA[0]:F3})"));
        return 0;
    }

    /// <summary>
    /// The framework's per-call cost of what each packet needs once to seal and once to open: AES-128-GCM (AesGcm) on a
    /// tiny and on a full payload, and one AES-ECB block for the header-protection mask (the same ICryptoTransform use as
    /// AesHeaderProtection). Thread CPU time, so other load does not count.
    /// </summary>
    private static void CryptoCallCosts(int mds)
    {
        const int n = 100_000;
        var key = new byte[16];
        var nonce = new byte[12];
        var tag = new byte[16];
        var header = new byte[13];
        var payload = new byte[mds - 13 - 16];
        using var gcm = new System.Security.Cryptography.AesGcm(key, 16);
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = key;
        aes.Mode = System.Security.Cryptography.CipherMode.ECB;
        aes.Padding = System.Security.Cryptography.PaddingMode.None;
        using var ecb = aes.CreateEncryptor();
        var block = new byte[16];
        var mask = new byte[16];
        double Measure(Action action)
        {
            for (int i = 0; i < 1000; i++) action();
            long t0 = ThreadCpuClock.NowNanoseconds();
            for (int i = 0; i < n; i++) action();
            return (ThreadCpuClock.NowNanoseconds() - t0) / (double)n;
        }
        double small = Measure(() => gcm.Encrypt(nonce, payload.AsSpan(0, 16), payload.AsSpan(0, 16), tag, header));
        double full = Measure(() => gcm.Encrypt(nonce, payload, payload, tag, header));
        double mask1 = Measure(() => ecb.TransformBlock(block, 0, 16, mask, 0));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crypto calls (CPU ns each): AesGcm.Encrypt 16 B {small:F0}, {payload.Length} B {full:F0} (so about {small:F0} ns fixed per call), " +
            $"header-protection ECB block {mask1:F0}; a packet sealed and opened costs about {2 * (full + mask1):F0} ns of it"));
    }

    private static int Fail(InMemoryConnectionPair pair, string what)
    {
        Console.Error.WriteLine($"connpair: the transfer stalled during the {what} ({pair.BytesRead:N0} bytes read).");
        return 1;
    }
}
