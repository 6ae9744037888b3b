using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

public class PacerTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    [Fact]
    public void Rate_zero_never_delays()
    {
        var p = new Pacer(1200);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(T0, p.NextSendTime(T0, 1200));
            p.OnPacketSent(T0, 1200);
        }
    }

    [Theory]
    [InlineData(100_000, 2400)]          // 100 KB/s · 1 ms = 100 B: floor of 2 datagrams
    [InlineData(5_000_000, 5000)]        // 5 MB/s · 1 ms
    [InlineData(1_000_000_000, 12000)]   // ceiling of 10 datagrams
    public void Burst_is_one_millisecond_of_data_between_two_and_ten_datagrams(double rate, long burst)
    {
        var p = new Pacer(1200);
        p.SetRate(T0, rate);
        Assert.Equal(burst, p.BurstSize);
    }

    [Fact]
    public void After_the_burst_packets_leave_at_the_pacing_rate()
    {
        var p = new Pacer(1200);
        p.SetRate(T0, 1_200_000); // one 1200-byte packet per millisecond; burst 2400
        Instant now = T0;
        var sendTimes = new List<Instant>();
        for (int i = 0; i < 12; i++)
        {
            Instant at = p.NextSendTime(now, 1200);
            Assert.True(at >= now);
            now = at;
            p.OnPacketSent(now, 1200);
            sendTimes.Add(now);
        }
        // Two at once (the burst), then one each millisecond.
        Assert.Equal(T0, sendTimes[0]);
        Assert.Equal(T0, sendTimes[1]);
        for (int i = 2; i < sendTimes.Count; i++)
            Assert.Equal(T0 + TimeSpan.FromMilliseconds(i - 1), sendTimes[i]);
    }

    [Fact]
    public void Long_run_rate_matches_the_configured_rate()
    {
        Prop(250_000);
        Prop(3_000_000);
        Prop(40_000_000);

        static void Prop(double rate)
        {
            var p = new Pacer(1200);
            p.SetRate(T0, rate);
            Instant now = T0;
            long sent = 0;
            for (int i = 0; i < 5000; i++)
            {
                now = p.NextSendTime(now, 1200);
                p.OnPacketSent(now, 1200);
                sent += 1200;
            }
            double seconds = (now - T0).TotalSeconds;
            // The burst lets at most BurstSize bytes go ahead of the rate.
            double expected = (sent - p.BurstSize) / rate;
            Assert.InRange(seconds, expected * 0.999, expected * 1.001 + 1e-6);
        }
    }

    [Fact]
    public void Idle_time_refills_the_bucket_only_up_to_the_burst()
    {
        var p = new Pacer(1200);
        p.SetRate(T0, 1_200_000);
        p.OnPacketSent(T0, 1200);
        p.OnPacketSent(T0, 1200);
        Instant later = T0 + TimeSpan.FromSeconds(10);
        Assert.Equal(later, p.NextSendTime(later, 1200));
        p.OnPacketSent(later, 1200);
        Assert.Equal(later, p.NextSendTime(later, 1200));
        p.OnPacketSent(later, 1200);
        Assert.Equal(later + TimeSpan.FromMilliseconds(1), p.NextSendTime(later, 1200));
    }

    [Theory]
    [InlineData(5, 6)]     // 5 ms late: 6 ms of tokens (7,200 B) under a bound of 2,400 + 6,000 B
    [InlineData(100, 10)]  // very late: at most ten datagrams (the initial window, RFC 9002 §7.7)
    public void A_driver_late_for_a_held_packet_catches_up_the_lateness_up_to_ten_datagrams(int lateMs, int expected)
    {
        var p = new Pacer(1200);
        p.SetRate(T0, 1_200_000); // 1,200 B per ms: bucket 2,400 B
        p.OnPacketSent(T0, 1200);
        p.OnPacketSent(T0, 1200);
        Instant release = p.NextSendTime(T0, 1200);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(1), release);
        Instant late = release + TimeSpan.FromMilliseconds(lateMs);
        p.SetRate(late, 1_200_000); // an ACK processed first keeps the catch-up
        int sent = 0;
        while (sent < 100 && p.NextSendTime(late, 1200) == late)
        {
            p.OnPacketSent(late, 1200);
            sent++;
        }
        Assert.Equal(expected, sent);
        // Then the plain rate again.
        Assert.Equal(late + TimeSpan.FromMilliseconds(1), p.NextSendTime(late, 1200));
    }

    [Fact]
    public void Idle_time_without_a_held_packet_earns_no_catch_up()
    {
        var p = new Pacer(1200);
        p.SetRate(T0, 1_200_000);
        p.OnPacketSent(T0, 2400);
        Instant later = T0 + TimeSpan.FromMilliseconds(50);
        int sent = 0;
        while (sent < 100 && p.NextSendTime(later, 1200) == later)
        {
            p.OnPacketSent(later, 1200);
            sent++;
        }
        Assert.Equal(2, sent);
    }

    [Fact]
    public void Packet_larger_than_the_bucket_waits_for_a_full_bucket()
    {
        var p = new Pacer(1200);
        p.SetRate(T0, 1_200_000);
        p.OnPacketSent(T0, 2400);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(2), p.NextSendTime(T0, 5000));
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        var p = new Pacer(1200);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.SetRate(T0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.SetRate(T0, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pacer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.NextSendTime(T0, -1));
    }
}

public class PacerProperties
{
    [Fact]
    public void Bytes_sent_in_any_interval_never_exceed_burst_plus_rate_times_interval()
    {
        var gen = Gen.Choose(0, int.MaxValue - 1).ToArbitrary();
        var sizes = Gen.Choose(1, 1500).ArrayOf().ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(gen, sizes, (seed, packetSizes) =>
        {
            double rate = 10_000 + seed % 50_000_000;
            var p = new Pacer(1200);
            Instant t0 = Instant.FromMilliseconds(5);
            p.SetRate(t0, rate);
            long burst = p.BurstSize;
            Instant now = t0;
            var sent = new List<(Instant At, int Bytes)>();
            foreach (int size in packetSizes)
            {
                Instant at = p.NextSendTime(now, size);
                if (at < now) throw new Exception("next send time in the past");
                now = at;
                p.OnPacketSent(now, size);
                sent.Add((now, size));
            }
            // Any window [sent[i].At, sent[j].At] carries at most burst + rate · length + one packet (tick rounding).
            for (int i = 0; i < sent.Count; i++)
            {
                long bytes = 0;
                for (int j = i; j < sent.Count; j++)
                {
                    bytes += sent[j].Bytes;
                    double allowed = burst + rate * (sent[j].At - sent[i].At).TotalSeconds + 1;
                    if (bytes > allowed) throw new Exception($"rate {rate}: {bytes} bytes in {(sent[j].At - sent[i].At).TotalMilliseconds} ms > {allowed:F0}");
                }
            }
        }));
    }
}
