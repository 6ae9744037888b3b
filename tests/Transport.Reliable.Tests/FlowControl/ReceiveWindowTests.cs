using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.FlowControl;

namespace Transport.Reliable.Tests.FlowControl;

public class ReceiveWindowTests
{
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Data_beyond_the_advertised_limit_is_a_flow_control_error()
    {
        var w = new ReceiveWindow(1000, 1000);
        Assert.Equal(FlowControlResult.Ok, w.OnReceived(1000));
        Assert.Equal(FlowControlResult.Ok, w.OnReceived(10)); // lower offsets do not move the highest
        Assert.Equal(1000, w.HighestReceived);
        Assert.Equal(FlowControlResult.FlowControlError, w.OnReceived(1001));
        Assert.Equal(1000, w.HighestReceived);

        var connection = new ReceiveWindow(1000, 1000);
        Assert.Equal(FlowControlResult.Ok, connection.OnReceivedBytes(600));
        Assert.Equal(FlowControlResult.FlowControlError, connection.OnReceivedBytes(401));
        Assert.Equal(600, connection.HighestReceived);
        Assert.Equal(FlowControlResult.Ok, connection.OnReceivedBytes(400));
    }

    [Fact]
    public void Consuming_more_than_received_is_misuse()
    {
        var w = new ReceiveWindow(1000, 1000);
        w.OnReceived(100);
        w.OnConsumed(60);
        Assert.Throws<InvalidOperationException>(() => w.OnConsumed(41));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.OnConsumed(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReceiveWindow(100, 99));
    }

    [Fact]
    public void Update_is_due_when_unconsumed_credit_drops_below_half_the_window()
    {
        var w = new ReceiveWindow(1000, 1000);
        w.OnReceived(1000);
        w.OnConsumed(500);
        Assert.False(w.IsUpdateDue); // 500 left: exactly half
        Assert.False(w.TryGetUpdate(Instant.Zero, Rtt, out _));
        w.OnConsumed(1);
        Assert.True(w.TryGetUpdate(Instant.Zero, Rtt, out long max));
        Assert.Equal(1501, max);
        Assert.Equal(1501, w.MaxData);
        Assert.False(w.TryGetUpdate(Instant.Zero, Rtt, out _));
    }

    // Reads a half window plus one each step, every `interval`, and issues updates; returns the windows seen.
    private static List<long> Run(ReceiveWindow w, TimeSpan interval, int steps)
    {
        var windows = new List<long>();
        Instant now = Instant.Zero;
        for (int i = 0; i < steps; i++)
        {
            now += interval;
            long chunk = w.Window / 2 + 1;
            Assert.Equal(FlowControlResult.Ok, w.OnReceived(w.Consumed + chunk));
            w.OnConsumed(chunk);
            Assert.True(w.TryGetUpdate(now, Rtt, out _));
            windows.Add(w.Window);
        }
        return windows;
    }

    [Fact]
    public void Fast_consumption_doubles_the_window_up_to_the_maximum()
    {
        var w = new ReceiveWindow(16_000, 100_000);
        // Half a window per 0.5 RTT: a window per RTT, faster than a window per 2 RTTs.
        List<long> windows = Run(w, Rtt / 2, 6);
        Assert.Equal(new long[] { 16_000, 32_000, 64_000, 100_000, 100_000, 100_000 }, windows);
    }

    [Fact]
    public void Slow_consumption_keeps_the_window()
    {
        var w = new ReceiveWindow(16_000, 100_000);
        // Half a window per 1.5 RTT: a window per 3 RTTs.
        List<long> windows = Run(w, Rtt * 1.5, 6);
        Assert.All(windows, x => Assert.Equal(16_000, x));
    }

    [Fact]
    public void A_one_byte_window_still_updates()
    {
        var w = new ReceiveWindow(1, 1);
        w.OnReceived(1);
        w.OnConsumed(1);
        Assert.True(w.TryGetUpdate(Instant.Zero, Rtt, out long max));
        Assert.Equal(2, max);
    }

    [Fact]
    public void No_tuning_without_an_rtt_or_on_the_first_update()
    {
        var w = new ReceiveWindow(1000, 8000);
        w.OnReceived(600);
        w.OnConsumed(600);
        Assert.True(w.TryGetUpdate(Instant.FromMilliseconds(1), Rtt, out _)); // first: only starts measuring
        Assert.Equal(1000, w.Window);
        w.OnReceived(1200);
        w.OnConsumed(600);
        Assert.True(w.TryGetUpdate(Instant.FromMilliseconds(2), TimeSpan.Zero, out _));
        Assert.Equal(1000, w.Window);
    }

    public sealed record Step(int Consume, int Millis, int RttMillis);

    [Fact]
    public void Auto_tuning_grows_only_when_consumption_is_fast_and_never_beyond_the_maximum()
    {
        Gen<Step> step =
            from consume in Gen.Choose(0, 40_000)
            from millis in Gen.Choose(0, 400)
            from rtt in Gen.Choose(0, 200)
            select new Step(consume, millis, rtt);
        Gen<(int Initial, int Max, Step[] Steps)> cases =
            from initial in Gen.Choose(1, 50_000)
            from extra in Gen.Choose(0, 500_000)
            from steps in Gen.ArrayOf(step)
            select (initial, initial + extra, steps);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var w = new ReceiveWindow(c.Initial, c.Max);
            Instant now = Instant.Zero;
            Instant? lastUpdate = null;
            long consumedAtLastUpdate = 0;
            foreach (Step s in c.Steps)
            {
                now += TimeSpan.FromMilliseconds(s.Millis);
                long consume = Math.Min(s.Consume, w.MaxData - w.Consumed); // the peer can only send within the limit
                Assert.Equal(FlowControlResult.Ok, w.OnReceived(w.Consumed + consume));
                w.OnConsumed(consume);

                long windowBefore = w.Window, maxBefore = w.MaxData;
                bool due = 2 * (maxBefore - w.Consumed) < windowBefore;
                TimeSpan rtt = TimeSpan.FromMilliseconds(s.RttMillis);
                bool updated = w.TryGetUpdate(now, rtt, out long advertised);
                Assert.Equal(due, updated);
                if (!updated)
                {
                    Assert.Equal(windowBefore, w.Window);
                    Assert.Equal(maxBefore, w.MaxData);
                    continue;
                }
                // Fast: at the pace since the last update, a whole window would be consumed in under 2 RTTs.
                // (elapsed / consumed) * window < 2 RTT, compared exactly in integers.
                bool fast = rtt > TimeSpan.Zero && lastUpdate is Instant last && w.Consumed > consumedAtLastUpdate
                    && (Int128)(now - last).Ticks * windowBefore < (Int128)2 * rtt.Ticks * (w.Consumed - consumedAtLastUpdate);
                long expected = fast ? Math.Min(c.Max, windowBefore * 2) : windowBefore;
                Assert.Equal(expected, w.Window);
                Assert.True(w.Window <= c.Max);
                Assert.Equal(w.Consumed + w.Window, advertised);
                Assert.True(advertised > maxBefore);
                lastUpdate = now;
                consumedAtLastUpdate = w.Consumed;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Receiver_rejects_any_offset_beyond_the_window()
    {
        Gen<(int Window, int[] Offsets)> cases =
            from window in Gen.Choose(0, 10_000)
            from offsets in Gen.ArrayOf(Gen.Choose(0, 12_000))
            select (window, offsets);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var w = new ReceiveWindow(c.Window, c.Window);
            long highest = 0;
            foreach (int end in c.Offsets)
            {
                FlowControlResult r = w.OnReceived(end);
                Assert.Equal(end > c.Window ? FlowControlResult.FlowControlError : FlowControlResult.Ok, r);
                if (r == FlowControlResult.Ok) highest = Math.Max(highest, end);
                Assert.Equal(highest, w.HighestReceived);
            }
        }).QuickCheckThrowOnFailure();
    }
}
