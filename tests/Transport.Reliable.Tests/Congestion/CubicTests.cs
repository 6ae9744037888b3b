using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

public class CubicTests
{
    [Fact]
    public void Constants_follow_rfc_9438()
    {
        Assert.Equal(0.4, Cubic.C);
        Assert.Equal(0.7, Cubic.Beta);
        Assert.Equal(3 * 0.3 / 1.7, Cubic.Alpha, 12);
    }

    [Theory]
    [InlineData(100, 70, 4.2171633265)]   // cbrt(100 · 0.3 / 0.4) = cbrt(75)
    [InlineData(10, 7, 1.9574338205)]     // cbrt(7.5)
    [InlineData(50, 50, 0)]
    public void K_is_the_cube_root_of_the_window_gap_over_C(double wMax, double cwndEpoch, double expected)
    {
        Assert.Equal(expected, Cubic.ComputeK(wMax, cwndEpoch), 8);
    }

    [Fact]
    public void K_of_the_running_epoch_matches_beta_reduction()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        h.RunRounds(4); // 12000 -> 192000 bytes = 160 segments
        Assert.Equal(192000, cc.CongestionWindow);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        Assert.Equal(134400, cc.CongestionWindow); // 0.7 · 192000
        Assert.Equal(192000, cc.WMax);
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.RunRounds(1);
        // K = cbrt(W_max · (1 − β) / C) in segments.
        Assert.Equal(Math.Cbrt(160 * 0.3 / 0.4), cc.K, 6);
    }

    [Fact]
    public void Fast_convergence_lowers_w_max_when_the_window_did_not_recover()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        h.RunRounds(4);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1); // W_max = 192000, cwnd = 134400
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.RunRounds(1);
        long cwnd = cc.CongestionWindow;
        Assert.True(cwnd < 192000);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        Assert.Equal(cwnd * (1 + Cubic.Beta) / 2, cc.WMax, 1.0);
        Assert.Equal((long)(cwnd * 0.7), cc.CongestionWindow, 1.0);
    }

    [Fact]
    public void Window_grows_towards_w_max_and_beyond_in_congestion_avoidance()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        h.RunRounds(4);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        long reduced = cc.CongestionWindow;
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.RunRounds(200); // 10 s at 50 ms
        Assert.True(cc.CongestionWindow > 192000, $"cwnd {cc.CongestionWindow} should pass W_max after K ≈ 4.2 s");
        Assert.True(cc.CongestionWindow > reduced);
        Assert.Equal(CongestionState.CongestionAvoidance, cc.State);
    }

    [Fact]
    public void Spurious_loss_restores_window_ssthresh_and_w_max()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        h.RunRounds(2);
        long before = cc.CongestionWindow;
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        Assert.Equal((long)(before * 0.7), cc.CongestionWindow);
        h.Spurious();
        Assert.Equal(before, cc.CongestionWindow);
        Assert.Equal(long.MaxValue, cc.SlowStartThreshold);
        Assert.Equal(0, cc.WMax);
        Assert.Equal(CongestionState.SlowStart, cc.State);
    }

    [Fact]
    public void Persistent_congestion_collapses_to_the_minimum_window()
    {
        var h = new ControllerHarness(new Cubic(1200));
        h.RunRounds(3);
        for (int i = 0; i < 4; i++) h.Send();
        h.Advance(TimeSpan.FromSeconds(2));
        h.Lose(4, persistent: true);
        Assert.Equal(2400, h.Cc.CongestionWindow);
    }

    [Fact]
    public void HyStart_exits_slow_start_on_an_rtt_increase_then_leaves_css_after_five_rounds()
    {
        var h = new ControllerHarness(new Cubic(1200)) { Rtt = TimeSpan.FromMilliseconds(100) };
        var cc = (Cubic)h.Cc;
        // Rounds of 10 packets each, one ACK per packet, at a stable 100 ms.
        void Round(TimeSpan rtt)
        {
            int n = 0;
            while (n < 10) { h.Send(); n++; }
            h.Advance(rtt);
            while (h.Outstanding > 0) h.Ack(1, rtt: rtt);
        }
        Round(TimeSpan.FromMilliseconds(100));
        Round(TimeSpan.FromMilliseconds(100));
        Assert.Equal(CongestionState.SlowStart, cc.State);
        long before = cc.CongestionWindow;
        // RttThresh = clamp(100 ms / 8, 4 ms, 16 ms) = 12.5 ms: 112 ms is not enough, 113 ms is.
        Assert.Equal(TimeSpan.FromMilliseconds(12.5), HyStartPlusPlus.RttThreshold(TimeSpan.FromMilliseconds(100)));
        Round(TimeSpan.FromMilliseconds(112));
        Assert.Equal(CongestionState.SlowStart, cc.State);
        Assert.Equal(before + 12000, cc.CongestionWindow);

        // The previous round's minimum is now 112 ms: 112 + 14 = 126 ms triggers.
        before = cc.CongestionWindow;
        Round(TimeSpan.FromMilliseconds(126));
        Assert.Equal(CongestionState.ConservativeSlowStart, cc.State);
        // 7 ACKs at full growth; from the 8th sample on (which triggers) a quarter.
        Assert.Equal(before + 7 * 1200 + 3 * 300, cc.CongestionWindow);

        // CSS: growth divided by CSS_GROWTH_DIVISOR for CSS_ROUNDS rounds, then congestion avoidance.
        for (int r = 0; r < HyStartPlusPlus.CssRounds - 1; r++)
        {
            before = cc.CongestionWindow;
            Round(TimeSpan.FromMilliseconds(126));
            Assert.Equal(CongestionState.ConservativeSlowStart, cc.State);
            Assert.Equal(before + 10 * 300, cc.CongestionWindow);
        }
        Round(TimeSpan.FromMilliseconds(126));
        Assert.Equal(CongestionState.CongestionAvoidance, cc.State);
        Assert.Equal(cc.SlowStartThreshold, cc.CongestionWindow, 1200.0);
    }

    [Fact]
    public void HyStart_returns_to_slow_start_when_the_rtt_falls_below_the_css_baseline()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        void Round(int ms)
        {
            for (int n = 0; n < 10; n++) h.Send();
            h.Advance(TimeSpan.FromMilliseconds(ms));
            while (h.Outstanding > 0) h.Ack(1, rtt: TimeSpan.FromMilliseconds(ms));
        }
        Round(100);
        Round(100);
        Round(120);
        Assert.Equal(CongestionState.ConservativeSlowStart, cc.State);
        Round(110);
        Assert.Equal(CongestionState.SlowStart, cc.State);
    }

    [Fact]
    public void HyStart_thresholds_are_clamped_between_4_and_16_ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(4), HyStartPlusPlus.RttThreshold(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(16), HyStartPlusPlus.RttThreshold(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(TimeSpan.FromMilliseconds(10), HyStartPlusPlus.RttThreshold(TimeSpan.FromMilliseconds(80)));
    }

    [Fact]
    public void Idle_period_restarts_the_epoch()
    {
        var h = new ControllerHarness(new Cubic(1200));
        var cc = (Cubic)h.Cc;
        h.RunRounds(4);
        h.Send();
        h.Advance(h.Rtt);
        h.Lose(1);
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.RunRounds(2);
        long cwnd = cc.CongestionWindow;
        // Nothing in flight for 30 s; when sending resumes, the epoch skips the idle time instead of jumping along the
        // cubic curve by 30 s.
        h.Advance(TimeSpan.FromSeconds(30));
        h.RunRounds(1);
        Assert.True(cc.CongestionWindow < cwnd * 1.2, $"{cc.CongestionWindow} vs {cwnd}");
        Assert.True(cc.K > 0);
    }
}
