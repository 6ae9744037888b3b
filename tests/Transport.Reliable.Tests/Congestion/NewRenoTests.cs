using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

public class NewRenoTests
{
    [Theory]
    [InlineData(1200, 12000)]   // 10 · mds
    [InlineData(1472, 14720)]   // 10 · mds == 14720
    [InlineData(1500, 14720)]   // capped at max(14720, 2 · mds)
    [InlineData(9000, 18000)]   // 2 · mds above 14720
    public void Initial_window_is_min_of_ten_datagrams_and_max_of_14720_and_two_datagrams(int mds, long expected)
    {
        var cc = new NewReno(mds);
        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(2L * mds, cc.MinimumWindow);
        Assert.Equal(CongestionState.SlowStart, cc.State);
        Assert.Equal("newreno", cc.Name);
    }

    [Fact]
    public void Slow_start_grows_by_the_acknowledged_bytes()
    {
        var h = new ControllerHarness(new NewReno(1200));
        for (int i = 0; i < 4; i++) h.Send();
        h.Advance(h.Rtt);
        h.Ack(4);
        Assert.Equal(12000 + 4 * 1200, h.Cc.CongestionWindow);
    }

    [Fact]
    public void Pacing_rate_is_zero_before_an_rtt_sample_then_five_quarters_of_cwnd_per_srtt()
    {
        var h = new ControllerHarness(new NewReno(1200)) { Rtt = TimeSpan.FromMilliseconds(100) };
        Assert.Equal(0, h.Cc.PacingRate);
        h.Send();
        h.Advance(h.Rtt);
        h.Ack(1);
        Assert.Equal(1.25 * h.Cc.CongestionWindow / 0.1, h.Cc.PacingRate, 6);
    }

    [Fact]
    public void Congestion_event_halves_once_per_recovery_period()
    {
        var h = new ControllerHarness(new NewReno(1200));
        for (int i = 0; i < 10; i++) h.Send();
        h.Advance(TimeSpan.FromMilliseconds(60));
        h.Lose(1);
        Assert.Equal(6000, h.Cc.CongestionWindow);
        Assert.Equal(6000, ((NewReno)h.Cc).SlowStartThreshold);
        Assert.Equal(CongestionState.Recovery, h.Cc.State);

        // More packets sent before recovery started are lost: no second reduction.
        h.Lose(3);
        Assert.Equal(6000, h.Cc.CongestionWindow);
        // ACKs of packets sent before recovery do not grow the window.
        h.Ack(2);
        Assert.Equal(6000, h.Cc.CongestionWindow);

        // A packet sent after recovery started is acknowledged: recovery ends.
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.Send();
        h.Advance(h.Rtt);
        h.Ack(h.Outstanding);
        Assert.Equal(CongestionState.CongestionAvoidance, h.Cc.State);

        // A new loss of a packet sent after recovery started reduces again.
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        Assert.True(h.Cc.CongestionWindow < 6000 + 1200);
        Assert.Equal(CongestionState.Recovery, h.Cc.State);
    }

    [Fact]
    public void Ecn_ce_is_a_congestion_event()
    {
        var h = new ControllerHarness(new NewReno(1200));
        h.Send();
        h.Advance(h.Rtt);
        h.Ecn();
        Assert.Equal(6000, h.Cc.CongestionWindow);
    }

    [Fact]
    public void Window_never_goes_below_two_datagrams_and_persistent_congestion_collapses_to_it()
    {
        var h = new ControllerHarness(new NewReno(1200));
        for (int round = 0; round < 6; round++)
        {
            h.Send();
            h.Send();
            h.Advance(h.Rtt);
            h.Lose(1);
            h.Advance(h.Rtt);
            h.Ack(h.Outstanding);
        }
        Assert.Equal(2400, h.Cc.CongestionWindow);

        var h2 = new ControllerHarness(new NewReno(1200));
        h2.RunRounds(3);
        for (int i = 0; i < 5; i++) h2.Send();
        h2.Advance(TimeSpan.FromSeconds(3));
        h2.Lose(5, persistent: true);
        Assert.Equal(2400, h2.Cc.CongestionWindow);
    }

    [Fact]
    public void Congestion_avoidance_adds_one_datagram_per_window_acknowledged()
    {
        var h = new ControllerHarness(new NewReno(1200));
        h.RunRounds(1);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1); // cwnd 24000 -> 12000 = ssthresh
        Assert.Equal(12000, h.Cc.CongestionWindow);
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.RunRounds(1); // 10 packets sent after recovery start: exit recovery, then + 12000 bytes acked
        Assert.Equal(13200, h.Cc.CongestionWindow);
        h.RunRounds(1);
        Assert.Equal(14400, h.Cc.CongestionWindow);
    }

    [Fact]
    public void No_growth_while_application_limited()
    {
        var h = new ControllerHarness(new NewReno(1200));
        h.RunRounds(3, appLimited: true);
        Assert.Equal(12000, h.Cc.CongestionWindow);
    }

    [Fact]
    public void Spurious_loss_restores_window_and_ssthresh()
    {
        var h = new ControllerHarness(new NewReno(1200));
        h.RunRounds(1);
        long before = h.Cc.CongestionWindow;
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        Assert.Equal(before / 2, h.Cc.CongestionWindow);
        h.Spurious();
        Assert.Equal(before, h.Cc.CongestionWindow);
        Assert.Equal(long.MaxValue, ((NewReno)h.Cc).SlowStartThreshold);
        Assert.Equal(CongestionState.SlowStart, h.Cc.State);
        // Only once.
        h.Spurious();
        Assert.Equal(before, h.Cc.CongestionWindow);
    }

    [Fact]
    public void Mtu_change_rescales_the_minimum_window()
    {
        var cc = new NewReno(1200);
        var h = new ControllerHarness(cc);
        for (int i = 0; i < 8; i++)
        {
            h.Send();
            h.Advance(h.Rtt);
            h.Lose(1);
        }
        Assert.Equal(2400, cc.CongestionWindow);
        h.ChangeMtu(1500);
        Assert.Equal(3000, cc.MinimumWindow);
        Assert.Equal(3000, cc.CongestionWindow);
        Assert.Throws<ArgumentOutOfRangeException>(() => cc.OnMaxDatagramSizeChanged(0));
    }
}
