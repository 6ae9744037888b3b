using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Reliable.Tests.Congestion;

public class ShallowDiag(ITestOutputHelper output)
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    public void Diag(CongestionControlAlgorithm algorithm)
    {
        var cc = CongestionControllerFactory.For(algorithm).Create(1472);
        double rate = 12_500_000;
        var rtt = TimeSpan.FromMilliseconds(50);
        var link = new BottleneckLink(cc, rate, rtt, 62_500, 1472);
        long lastDelivered = 0; int lastIdx = 0;
        for (int i = 0; i < 80; i++)
        {
            link.Run(TimeSpan.FromMilliseconds(50));
            var s = link.Samples.Count > 0 ? link.Samples[^1] : default;
            string extra = cc is Cubic c ? $" wmax {c.WMax/1472:F0} K {c.K:F2} west {c.WEst/1472:F0} ssthresh {(c.SlowStartThreshold == long.MaxValue ? -1 : c.SlowStartThreshold/1472)}" : "";
            output.WriteLine($"{i*50,5} ms cwnd {cc.CongestionWindow/1472,5} pk  state {cc.State} rate {(link.DeliveredBytes-lastDelivered)*8/0.05/1e6:F1} Mb/s drops {link.DroppedPackets}{extra}");
            lastDelivered = link.DeliveredBytes; lastIdx = link.Samples.Count;
        }
    }
}
