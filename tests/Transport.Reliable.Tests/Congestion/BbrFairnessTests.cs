using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>Two BBR flows on one bottleneck (<see cref="SharedBottleneck"/>), the second starting later.</summary>
public class BbrFairnessTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2_500_000.0, 50, 1.0, 1UL)]
    [InlineData(12_500_000.0, 50, 1.0, 1UL)]
    public void Two_bbr_flows_share_the_bottleneck(double rate, int rttMs, double queueBdp, ulong seed)
    {
        var rtt = TimeSpan.FromMilliseconds(rttMs);
        long bdp = (long)(rate * rtt.TotalSeconds);
        var link = new SharedBottleneck(rate, rtt, (long)(bdp * queueBdp));
        var a = link.AddFlow(new Bbr(1200, seed * 0x9E3779B97F4A7C15UL), TimeSpan.Zero);
        var b = link.AddFlow(new Bbr(1200, (seed + 1) * 0x9E3779B97F4A7C15UL), TimeSpan.FromSeconds(2));
        long a0 = 0, b0 = 0;
        for (int s = 1; s <= 30; s++)
        {
            link.Run(TimeSpan.FromSeconds(1));
            var x = (Bbr)a.Cc; var y = (Bbr)b.Cc;
            output.WriteLine($"{s,2}s a {(a.DeliveredBytes - a0) * 8 / 1e6,6:F2} Mb/s {x.State,-14} bw {x.MaxBandwidth * 8 / 1e6,6:F2} lo {x.BandwidthLo * 8 / 1e6,6:F2} hi {x.InflightHi / 1200,6} cwnd {x.CongestionWindow / 1200,5} | " +
                $"b {(b.DeliveredBytes - b0) * 8 / 1e6,6:F2} {y.State,-14} bw {y.MaxBandwidth * 8 / 1e6,6:F2} lo {y.BandwidthLo * 8 / 1e6,6:F2} hi {y.InflightHi / 1200,6} cwnd {y.CongestionWindow / 1200,5} drops {a.DroppedPackets}/{b.DroppedPackets}");
            a0 = a.DeliveredBytes; b0 = b.DeliveredBytes;
        }
    }
}
