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
        if (args.Length > 0 && args[0] == "handshakes")
            return HandshakesAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100).GetAwaiter().GetResult();
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        return RunAsync(count).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int count)
    {
        using var contender = new TransportQuicContender();
        await using var server = await contender.StartServerAsync(static async (s, ct) =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n = await s.Stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) break;
                await s.Stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            await s.CompleteWritesAsync(ct).ConfigureAwait(false);
        }, CancellationToken.None).ConfigureAwait(false);
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
