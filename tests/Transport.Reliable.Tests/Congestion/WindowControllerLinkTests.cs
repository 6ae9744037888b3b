using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>NewReno and CUBIC over the bottleneck link model: they fill the pipe and back off on drops.</summary>
public class WindowControllerLinkTests
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    public void Fills_a_bottleneck_with_a_one_bdp_buffer(CongestionControlAlgorithm algorithm)
    {
        var cc = CongestionControllerFactory.For(algorithm).Create(1200);
        double rate = 1_000_000;
        var rtt = TimeSpan.FromMilliseconds(50);
        var link = new BottleneckLink(cc, rate, rtt, (long)(rate * rtt.TotalSeconds));
        link.Run(TimeSpan.FromSeconds(10));
        Assert.True(link.DroppedPackets > 0, "a loss-based controller should overflow the buffer");
        Assert.True(link.DeliveredBytes >= 0.75 * rate * 10, $"delivered {link.DeliveredBytes}");
        Assert.All(link.Samples, s => Assert.True(s.Cwnd >= 2400));
        // The window saw-tooths: it was reduced at least once after growing.
        Assert.Contains(link.Samples, s => s.State == CongestionState.CongestionAvoidance);
        // Queueing stays within the buffer: RTT at most propagation + buffer drain time + serialisation.
        Assert.All(link.Samples, s => Assert.True(s.Rtt <= rtt + TimeSpan.FromMilliseconds(50 + 3)));
    }
}
