using System.Diagnostics;
using System.Globalization;

namespace Transport.Bench.Tour;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- quicphases [count]</c>: where a Transport QUIC
/// connection's time goes through the tour's contender (connect, open a stream, 1 byte echoed, 64-byte round trips,
/// dispose), one connection at a time on loopback; medians over <c>count</c> connections. A diagnostic for the API's
/// pump, not a comparison (the tour is that).
/// </summary>
internal static class QuicPhaseProbe
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "bulk")
            return BulkAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "rtt")
            return RoundTripAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1, inline: args.Skip(3).Contains("inline"), ParseSpin(args.Skip(3))).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "handshakes")
            return HandshakesAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100).GetAwaiter().GetResult();
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        return RunAsync(count).GetAwaiter().GetResult();
    }

    /// <summary>The probes' server: echoes every byte, then finishes its side when the client finishes.</summary>
    private static async Task EchoAsync(ITourStream s, CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n = await s.Stream.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) break;
            await s.Stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
        await s.CompleteWritesAsync(ct).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(int count)
    {
        using var contender = new TransportQuicContender();
        await using var server = await contender.StartServerAsync(EchoAsync, CancellationToken.None).ConfigureAwait(false);
        var phases = new[] { "connect", "open stream", "1 byte echoed", "64 B round trip (median of 200)", "dispose stream", "dispose connection" };
        var samples = phases.Select(_ => new List<double>()).ToArray();
        var one = new byte[1];
        var req = new byte[64];
        var rtts = new List<double>();
        for (int i = 0; i < count; i++)
        {
            long t = Stopwatch.GetTimestamp();
            var connection = await contender.ConnectAsync(server.EndPoint, CancellationToken.None).ConfigureAwait(false);
            samples[0].Add(Lap(ref t));
            var stream = await connection.OpenStreamAsync(CancellationToken.None).ConfigureAwait(false);
            samples[1].Add(Lap(ref t));
            await stream.Stream.WriteAsync(one).ConfigureAwait(false);
            await stream.Stream.ReadExactlyAsync(one).ConfigureAwait(false);
            samples[2].Add(Lap(ref t));
            rtts.Clear();
            for (int r = 0; r < 200; r++)
            {
                await stream.Stream.WriteAsync(req).ConfigureAwait(false);
                await stream.Stream.ReadExactlyAsync(req).ConfigureAwait(false);
                rtts.Add(Lap(ref t));
            }
            rtts.Sort();
            samples[3].Add(rtts[rtts.Count / 2]);
            await stream.DisposeAsync().ConfigureAwait(false);
            samples[4].Add(Lap(ref t));
            await connection.DisposeAsync().ConfigureAwait(false);
            samples[5].Add(Lap(ref t));
        }
        Console.WriteLine($"Transport QUIC via the public API on loopback, {count} connections one at a time (medians; min..max)");
        for (int p = 0; p < phases.Length; p++)
        {
            samples[p].Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {phases[p],-34} {samples[p][samples[p].Count / 2],10:F3} ms  ({samples[p][0]:F3} .. {samples[p][^1]:F3})"));
        }
        return 0;
    }

    /// <summary><c>quicphases bulk [MB]</c>: one stream, 64 KiB writes, a byte-counting server; Gbit/s and process CPU s/GB.</summary>
    private static async Task<int> BulkAsync(int megabytes)
    {
        using var contender = new TransportQuicContender();
        long received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await contender.StartServerAsync(async (s, ct) =>
        {
            var buffer = new byte[65536];
            while (true)
            {
                int n = await s.Stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) break;
                Interlocked.Add(ref received, n);
            }
            done.TrySetResult();
        }, CancellationToken.None).ConfigureAwait(false);
        await using var connection = await contender.ConnectAsync(server.EndPoint, CancellationToken.None).ConfigureAwait(false);
        await using var stream = await connection.OpenStreamAsync(CancellationToken.None).ConfigureAwait(false);
        var chunk = new byte[65536];
        long total = (long)megabytes << 20;
        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        long t0 = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < total; sent += chunk.Length) await stream.Stream.WriteAsync(chunk).ConfigureAwait(false);
        await stream.CompleteWritesAsync(CancellationToken.None).ConfigureAwait(false);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double cpu = (CpuMeter.ProcessCpuTime() - cpu0).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bulk: {received / 1e6:F0} MB in {seconds:F2} s: {received * 8 / seconds / 1e9:F2} Gbit/s, {cpu / (received / 1e9):F2} CPU s/GB (process, both ends)"));
        var quic = ((TransportQuicContender.Connection)connection).Quic;
        var st = quic.GetStatistics();
        var (rb, rd) = quic.Pump.Endpoint.ReceiveCounters;
        var (sc, sd) = quic.Pump.Endpoint.SendCounters;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  client: {st.PacketsSent} packets sent, {st.PacketsReceived} received (ACKs), {st.PacketsLost} lost, {st.CongestionEvents} congestion events, cwnd {st.CongestionWindow}, srtt {st.SmoothedRtt.TotalMicroseconds:F0} us; endpoint: {sd} datagrams in {sc} send calls, {rd} datagrams in {rb} receive calls"));
        return 0;
    }

    /// <summary>
    /// <c>spin=N</c> (microseconds, e.g. <c>spin=50us</c> or <c>spin=50</c>): both ends busy-poll this long after each
    /// receive batch (<see cref="Transport.Quic.QuicListenerOptions.ReceiveSpinTime"/>).
    /// </summary>
    private static TimeSpan ParseSpin(IEnumerable<string> args)
    {
        foreach (string a in args)
        {
            if (!a.StartsWith("spin=", StringComparison.Ordinal)) continue;
            string v = a["spin=".Length..];
            if (v.EndsWith("us", StringComparison.Ordinal)) v = v[..^2];
            return TimeSpan.FromMicroseconds(double.Parse(v, CultureInfo.InvariantCulture));
        }
        return TimeSpan.Zero;
    }

    /// <summary>
    /// <c>quicphases rtt [count] [in flight] [inline] [spin=Nus]</c>: 64-byte round trips on one stream, one outstanding (the tour's loopback ping-pong);
    /// p50/p99 and, when Transport.Quic was built with <c>-p:QuicLatencyProbe=true</c>, the median time of each step
    /// along the path (<see cref="Transport.Quic.LatencyProbe"/>), plus datagrams and system calls per round trip.
    /// With more in flight: requests per second, CPU and datagrams per request (the tour's pipelined row).
    /// </summary>
    private static async Task<int> RoundTripAsync(int count, int inFlight, bool inline, TimeSpan spin)
    {
        using var contender = new TransportQuicContender(inlineCompletions: inline, receiveSpinTime: spin);
        Console.WriteLine(contender.Name);
        await using var server = await contender.StartServerAsync(EchoAsync, CancellationToken.None).ConfigureAwait(false);
        await using var connection = await contender.ConnectAsync(server.EndPoint, CancellationToken.None).ConfigureAwait(false);
        await using var stream = await connection.OpenStreamAsync(CancellationToken.None).ConfigureAwait(false);
        var quic = ((TransportQuicContender.Connection)connection).Quic;
        using var cts = new CancellationTokenSource(); // a cancellable token, as the tour passes
        CancellationToken ct = cts.Token;
        var req = new byte[64];
        for (int i = 0; i < 2000; i++) // warm-up (JIT tiers, pools)
        {
            await stream.Stream.WriteAsync(req, ct).ConfigureAwait(false);
            await stream.Stream.ReadExactlyAsync(req, ct).ConfigureAwait(false);
        }
        if (inFlight > 1) return await PipelinedAsync(stream.Stream, quic, count, inFlight, ct).ConfigureAwait(false);
        bool probe = Transport.Quic.LatencyProbe.IsCompiledIn;
        const int P = Transport.Quic.LatencyProbe.PointCount;
        // The critical path of one round trip: (side, point) pairs in order (client 0, server P).
        (string Name, int From, int To)[] steps =
        [
            ("client write -> collected (encrypted)", 0 + 0, 0 + 8),
            ("client collected -> send syscall returned", 0 + 8, 0 + 1),
            ("client collected -> server received", 0 + 8, P + 2),
            ("server datagram processing", P + 2, P + 3),
            ("server received -> dispatched", P + 2, P + 4),
            ("server dispatched -> reader resumed", P + 4, P + 6),
            ("server resumed -> read returned", P + 6, P + 7),
            ("server read returned -> write", P + 7, P + 0),
            ("server write -> collected (encrypted)", P + 0, P + 8),
            ("server collected -> send syscall returned", P + 8, P + 1),
            ("server collected -> client received", P + 8, 0 + 2),
            ("client datagram processing", 0 + 2, 0 + 3),
            ("client received -> dispatched", 0 + 2, 0 + 4),
            ("client dispatched -> reader resumed", 0 + 4, 0 + 6),
            ("client resumed -> read returned", 0 + 6, 0 + 7),
            ("(server dispatched -> receive flush done)", P + 4, P + 5),
            ("(client dispatched -> receive flush done)", 0 + 4, 0 + 5),
        ];
        var stepSamples = steps.Select(_ => new List<double>(count)).ToArray();
        var totals = new List<double>(count);
        var (cc0, cd0) = quic.Pump.Endpoint.SendCounters;
        var (rb0, rd0) = quic.Pump.Endpoint.ReceiveCounters;
        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        var marks = Transport.Quic.LatencyProbe.Marks;
        for (int i = 0; i < count; i++)
        {
            Array.Clear(marks);
            long t = Stopwatch.GetTimestamp();
            await stream.Stream.WriteAsync(req, ct).ConfigureAwait(false);
            await stream.Stream.ReadExactlyAsync(req, ct).ConfigureAwait(false);
            totals.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            if (!probe) continue;
            for (int k = 0; k < steps.Length; k++)
            {
                long a = Volatile.Read(ref marks[steps[k].From]), b = Volatile.Read(ref marks[steps[k].To]);
                if (a != 0 && b != 0) stepSamples[k].Add((b - a) * 1e6 / Stopwatch.Frequency);
            }
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double cpu = (CpuMeter.ProcessCpuTime() - cpu0).TotalMicroseconds;
        double allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        var (cc1, cd1) = quic.Pump.Endpoint.SendCounters;
        var (rb1, rd1) = quic.Pump.Endpoint.ReceiveCounters;
        long spinBatches = quic.Pump.Endpoint.SpinBatches;
        totals.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"64 B round trips: {count} in {seconds:F2} s ({count / seconds:F0}/s): p50 {totals[count / 2]:F1} us, p90 {totals[count * 9 / 10]:F1} us, p99 {totals[count * 99 / 100]:F1} us; {cpu / count:F1} CPU us per round trip (process), {allocated / count:F0} bytes allocated per round trip (process)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  client endpoint per round trip: {(double)(cd1 - cd0) / count:F2} datagrams sent in {(double)(cc1 - cc0) / count:F2} send calls, {(double)(rd1 - rd0) / count:F2} datagrams received in {(double)(rb1 - rb0) / count:F2} receive batches ({spinBatches} batches taken by spinning since start)"));
        if (!probe)
        {
            Console.WriteLine("  (step times: build with -p:QuicLatencyProbe=true)");
            return 0;
        }
        Console.WriteLine("  step medians (us), p90:");
        for (int k = 0; k < steps.Length; k++)
        {
            var l = stepSamples[k];
            if (l.Count == 0) continue;
            l.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {steps[k].Name,-44} {l[l.Count / 2],8:F1} {l[l.Count * 9 / 10],8:F1}  (n={l.Count})"));
        }
        return 0;
    }

    private static async Task<int> PipelinedAsync(Stream stream, Transport.Quic.QuicConnection quic, int count, int inFlight, CancellationToken ct)
    {
        var req = new byte[64];
        var resp = new byte[64];
        var (cc0, cd0) = quic.Pump.Endpoint.SendCounters;
        var (rb0, rd0) = quic.Pump.Endpoint.ReceiveCounters;
        TimeSpan cpu0 = CpuMeter.ProcessCpuTime();
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < inFlight; i++) await stream.WriteAsync(req, ct).ConfigureAwait(false);
        for (int i = 0; i < count; i++)
        {
            await stream.ReadExactlyAsync(resp, ct).ConfigureAwait(false);
            if (i + inFlight < count) await stream.WriteAsync(req, ct).ConfigureAwait(false);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double cpu = (CpuMeter.ProcessCpuTime() - cpu0).TotalMicroseconds;
        double allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        var (cc1, cd1) = quic.Pump.Endpoint.SendCounters;
        var (rb1, rd1) = quic.Pump.Endpoint.ReceiveCounters;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"64 B requests, {inFlight} in flight: {count} in {seconds:F2} s ({count / seconds:F0}/s), {cpu / count:F1} CPU us per request (process), {allocated / count:F0} bytes allocated per request (process)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  client endpoint per request: {(double)(cd1 - cd0) / count:F2} datagrams sent in {(double)(cc1 - cc0) / count:F2} send calls, {(double)(rd1 - rd0) / count:F2} datagrams received in {(double)(rb1 - rb0) / count:F2} receive batches"));
        return 0;
    }

    /// <summary><c>quicphases handshakes [count]</c>: connect, 1 byte echoed, dispose, one at a time (after 20 for warm-up); median ms and process CPU ms per handshake.</summary>
    private static async Task<int> HandshakesAsync(int count)
    {
        using var contender = new TransportQuicContender();
        await using var server = await contender.StartServerAsync(static async (s, ct) =>
        {
            var buffer = new byte[16];
            int n = await s.Stream.ReadAsync(buffer, ct).ConfigureAwait(false);
            await s.Stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            await s.CompleteWritesAsync(ct).ConfigureAwait(false);
        }, CancellationToken.None).ConfigureAwait(false);
        var one = new byte[1];
        var samples = new List<double>();
        TimeSpan cpu0 = default;
        long t0 = 0;
        for (int i = -20; i < count; i++)
        {
            if (i == 0) { cpu0 = CpuMeter.ProcessCpuTime(); t0 = Stopwatch.GetTimestamp(); }
            long t = Stopwatch.GetTimestamp();
            var connection = await contender.ConnectAsync(server.EndPoint, CancellationToken.None).ConfigureAwait(false);
            var stream = await connection.OpenStreamAsync(CancellationToken.None).ConfigureAwait(false);
            await stream.Stream.WriteAsync(one).ConfigureAwait(false);
            await stream.Stream.ReadExactlyAsync(one).ConfigureAwait(false);
            if (i >= 0) samples.Add(Lap(ref t));
            await stream.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double cpu = (CpuMeter.ProcessCpuTime() - cpu0).TotalMilliseconds;
        samples.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"handshakes: {count} in {seconds:F2} s: {count / seconds:F0}/s, connect+1 byte median {samples[count / 2]:F3} ms (min {samples[0]:F3}), {cpu / count:F3} CPU ms per handshake (process, both ends)"));
        return 0;
    }

    private static double Lap(ref long t)
    {
        long now = Stopwatch.GetTimestamp();
        double ms = (now - t) * 1000.0 / Stopwatch.Frequency;
        t = now;
        return ms;
    }
}
