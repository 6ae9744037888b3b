using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>
/// CUBIC on a shallow queue (0.1 BDP: 100 Mbit/s, 50 ms, 62.5 KB, 1472-byte datagrams, the tour's "shallow" row) over
/// the bottleneck link model. Slow start overshoots the queue by about a window; the reduction to 0.7 of that still
/// overflows it, so two or three reductions follow within a few round trips.
/// </summary>
public class ShallowQueueTests(ITestOutputHelper output)
{
    private const int Mds = 1472;
    private const double Rate = 12_500_000;
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(50);
    private static readonly long Bdp = (long)(Rate * Rtt.TotalSeconds);

    [Fact]
    public void Cubic_keeps_w_max_at_the_path_capacity_after_a_slow_start_overshoot_and_fills_the_link()
    {
        var cubic = new Cubic(Mds);
        var link = new BottleneckLink(cubic, Rate, Rtt, Bdp / 10, Mds);
        link.Run(TimeSpan.FromSeconds(1));
        long deliveredAt1s = link.DeliveredBytes;
        link.Run(TimeSpan.FromSeconds(3));
        double share = (link.DeliveredBytes - deliveredAt1s) / (Rate * 3);
        output.WriteLine($"W_max {cubic.WMax / Mds:F0} segments, BDP {Bdp / Mds} segments, cwnd {cubic.CongestionWindow / Mds}, delivered over [1 s, 4 s] {share:P1} of the link, drops {link.DroppedPackets}");
        Assert.True(link.DroppedPackets > 0, "slow start should have overflowed the queue");
        // Before: fast convergence at each of the overshoot's reductions left W_max at 385 segments (0.9 BDP) and the
        // window crept back at the Reno-friendly pace: 84 % of the link over [1 s, 4 s].
        Assert.True(cubic.WMax >= Bdp, $"W_max {cubic.WMax} below the BDP {Bdp}");
        Assert.True(share >= 0.88, $"{share:P1} of the link");
    }

    [Fact]
    public void Fast_convergence_still_applies_to_a_loss_a_round_trip_after_the_last_reduction()
    {
        var cubic = new Cubic(Mds);
        var link = new BottleneckLink(cubic, Rate, Rtt, Bdp, Mds);
        Assert.True(link.RunUntil(c => c.State == CongestionState.CongestionAvoidance, TimeSpan.FromSeconds(5)));
        link.Run(TimeSpan.FromSeconds(1));
        double wMaxBefore = cubic.WMax;
        long cwnd = cubic.CongestionWindow;
        Assert.True(cwnd < wMaxBefore, "the window should still be below W_max one second into the epoch");
        var later = link.Now + TimeSpan.FromMilliseconds(1);
        cubic.OnCongestionEvent(later, new CongestionEvent { LargestSentTime = later, LostBytes = Mds });
        double expected = cwnd * (1 + Cubic.Beta) / 2; // CongestionWindow truncates the fractional window
        Assert.InRange(cubic.WMax, expected - 2, expected + 2);
    }
}
