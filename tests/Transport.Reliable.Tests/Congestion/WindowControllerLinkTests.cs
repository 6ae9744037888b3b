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

/// <summary>Random (non-congestive) loss: loss-based controllers follow the Mathis model, BBR keeps most of the link.</summary>
public class RandomLossLinkTests
{
    [Theory]
    [InlineData(0.005)]
    [InlineData(0.01)]
    [InlineData(0.02)]
    public void NewReno_throughput_follows_the_mathis_model(double loss)
    {
        var cc = new NewReno(1200);
        double rate = 2_000_000;
        var rtt = TimeSpan.FromMilliseconds(50);
        var link = new BottleneckLink(cc, rate, rtt, 100_000) { RandomLoss = loss };
        link.Run(TimeSpan.FromSeconds(10));
        // Mathis et al.: throughput ≈ 1.22 · MSS / (RTT · √p).
        double mathis = 1.22 * 1200 / (rtt.TotalSeconds * Math.Sqrt(loss));
        double measured = link.DeliveredBytes / 10.0;
        Assert.InRange(measured, 0.7 * mathis, 1.5 * mathis);
    }

    [Fact]
    public void Bbr_keeps_most_of_the_link_at_one_percent_random_loss()
    {
        double rate = 2_000_000;
        var rtt = TimeSpan.FromMilliseconds(50);
        var bbrLink = new BottleneckLink(new Bbr(1200), rate, rtt, 100_000) { RandomLoss = 0.01 };
        bbrLink.Run(TimeSpan.FromSeconds(10));
        var cubicLink = new BottleneckLink(new Cubic(1200), rate, rtt, 100_000) { RandomLoss = 0.01 };
        cubicLink.Run(TimeSpan.FromSeconds(10));
        Assert.True(bbrLink.DeliveredBytes >= 0.5 * rate * 10, $"BBR delivered {bbrLink.DeliveredBytes}");
        Assert.True(bbrLink.DeliveredBytes > 2 * cubicLink.DeliveredBytes);
    }
}
