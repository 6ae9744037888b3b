using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Transport.Quic.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// The bench tour's head-of-line workload (16 streams, 400-byte request/response every 15 ms per stream, 20 ms RTT,
/// random loss both ways) in virtual time: message latency must stay within a few RTTs / PTOs under loss.
/// </summary>
public class HolLatencyTests(ITestOutputHelper output)
{
    internal static EchoWorkload Run(CongestionControlAlgorithm algorithm, double loss, int seed, TimeSpan duration, out ConnectionPair pair)
    {
        var link = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), LossRate = loss };
        pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.CongestionControl = algorithm),
            ConnectionPair.ServerOptions(o => o.CongestionControl = algorithm), link, seed);
        Assert.True(pair.CompleteHandshake());
        var w = new EchoWorkload(pair, flows: 16, messageSize: 400) { MeasureFrom = pair.Now + TimeSpan.FromSeconds(1) };
        w.Run(TimeSpan.FromMilliseconds(15), duration, TimeSpan.FromSeconds(10));
        return w;
    }

    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic, 0.05)]
    [InlineData(CongestionControlAlgorithm.NewReno, 0.05)]
    [InlineData(CongestionControlAlgorithm.Bbr, 0.05)]
    [InlineData(CongestionControlAlgorithm.Cubic, 0.0)]
    [InlineData(CongestionControlAlgorithm.Cubic, 0.01)]
    [InlineData(CongestionControlAlgorithm.Cubic, 0.02)]
    [InlineData(CongestionControlAlgorithm.Bbr, 0.01)]
    [InlineData(CongestionControlAlgorithm.Bbr, 0.02)]
    public void Diagnose(CongestionControlAlgorithm algorithm, double loss)
    {
        var w = Run(algorithm, loss, 7, TimeSpan.FromSeconds(6), out var pair);
        using (pair)
        {
            var c = pair.Client.GetStatistics();
            var s = pair.Server.GetStatistics();
            output.WriteLine($"{algorithm} {loss:P0}: n={w.Latencies.Count} p50={w.Quantile(0.5).TotalMilliseconds:0.0} p99={w.Quantile(0.99).TotalMilliseconds:0.0} p999={w.Quantile(0.999).TotalMilliseconds:0.0} max={w.Quantile(1).TotalMilliseconds:0.0} outstanding={w.Outstanding}");
            output.WriteLine($"client cwnd={c.CongestionWindow} lost={c.PacketsLost} cev={c.CongestionEvents} pto={c.ProbeTimeouts} sent={c.PacketsSent} srtt={c.SmoothedRtt.TotalMilliseconds} rttvar={c.RttVariance.TotalMilliseconds}");
            output.WriteLine($"server cwnd={s.CongestionWindow} lost={s.PacketsLost} cev={s.CongestionEvents} pto={s.ProbeTimeouts} sent={s.PacketsSent} srtt={s.SmoothedRtt.TotalMilliseconds} rttvar={s.RttVariance.TotalMilliseconds}");
            var hist = new SortedDictionary<int, int>();
            foreach (var l in w.Latencies) { int b = (int)(l.TotalMilliseconds / 10) * 10; hist[b] = hist.GetValueOrDefault(b) + 1; }
            output.WriteLine(string.Join(" ", hist.Take(40).Select(kv => $"{kv.Key}:{kv.Value}")));
            Assert.Empty(w.Errors);
        }
    }
}
