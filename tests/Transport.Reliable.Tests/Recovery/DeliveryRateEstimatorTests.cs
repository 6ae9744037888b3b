using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

public class DeliveryRateEstimatorTests
{
    private static Instant Ms(long ms) => Instant.FromMilliseconds(ms);

    [Fact]
    public void FirstFlightRateIsDeliveredOverTheAckInterval()
    {
        var e = new DeliveryRateEstimator();
        var snaps = new DeliverySnapshot[10];
        long inflight = 0;
        for (int i = 0; i < 10; i++)
        {
            snaps[i] = e.OnPacketSent(Ms(i), inflight, 1000);
            inflight += 1000;
        }
        Assert.Equal(Ms(0), snaps[9].FirstSentTime);
        Assert.Equal(10_000, snaps[9].TxInFlight);
        for (int i = 0; i < 10; i++) e.OnPacketAcked(i, Ms(i), 1000, snaps[i], Ms(100));
        var rs = e.GenerateRateSample(TimeSpan.FromMilliseconds(91));
        // Newest packet (sent at 9 ms): send_elapsed 9 ms, ack_elapsed 100 ms; interval = 100 ms.
        Assert.Equal(10_000, rs.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(100), rs.Interval);
        Assert.Equal(100_000, rs.DeliveryRate, 6);
        Assert.Equal(0, rs.PriorDelivered);
        Assert.Equal(10_000, rs.TotalDelivered);
        Assert.Equal(TimeSpan.FromMilliseconds(91), rs.Rtt);
        Assert.Equal(10_000, rs.TxInFlight);
        Assert.True(rs.IsValid);
    }

    [Fact]
    public void SteadyPipeMeasuresTheBottleneckRate()
    {
        // One 1000-byte packet a millisecond, each acknowledged 50 ms after it was sent: 1,000,000 bytes/s.
        var e = new DeliveryRateEstimator();
        var snaps = new Dictionary<long, DeliverySnapshot>();
        long inflight = 0;
        var last = default(Transport.Reliable.Congestion.RateSample);
        for (long t = 0; t < 300; t++)
        {
            if (t >= 50)
            {
                long pn = t - 50;
                e.OnPacketAcked(pn, Ms(pn), 1000, snaps[pn], Ms(t));
                inflight -= 1000;
                last = e.GenerateRateSample(TimeSpan.FromMilliseconds(50));
            }
            snaps[t] = e.OnPacketSent(Ms(t), inflight, 1000);
            inflight += 1000;
        }
        Assert.True(last.IsValid);
        Assert.Equal(1_000_000, last.DeliveryRate, 3);
        Assert.Equal(TimeSpan.FromMilliseconds(50), last.Interval);
        Assert.Equal(50_000, last.Delivered);
    }

    [Fact]
    public void IntervalShorterThanMinRttGivesAnInvalidSample()
    {
        var e = new DeliveryRateEstimator();
        var s = e.OnPacketSent(Ms(0), 0, 1000);
        e.OnPacketAcked(0, Ms(0), 1000, s, Ms(10));
        var rs = e.GenerateRateSample(TimeSpan.FromMilliseconds(20));
        Assert.False(rs.IsValid);
        Assert.Equal(0, rs.DeliveryRate);
        Assert.Equal(1000, rs.Delivered); // still reported for round counting
    }

    [Fact]
    public void NoAckedPacketGivesNoSample()
    {
        var e = new DeliveryRateEstimator();
        var rs = e.GenerateRateSample(TimeSpan.Zero);
        Assert.False(rs.IsValid);
        Assert.Equal(0, rs.Delivered);
    }

    [Fact]
    public void ApplicationLimitedBubbleMarksPacketsUntilItIsDelivered()
    {
        var e = new DeliveryRateEstimator();
        var s0 = e.OnPacketSent(Ms(0), 0, 1000);
        var s1 = e.OnPacketSent(Ms(1), 1000, 1000);
        e.OnApplicationLimited(bytesInFlight: 2000); // C.app_limited = 0 + 2000
        Assert.Equal(2000, e.AppLimitedUntil);
        var s2 = e.OnPacketSent(Ms(2), 2000, 1000);
        Assert.False(s0.IsApplicationLimited);
        Assert.True(s2.IsApplicationLimited);

        e.OnPacketAcked(0, Ms(0), 1000, s0, Ms(50));
        e.OnPacketAcked(1, Ms(1), 1000, s1, Ms(50));
        var rs = e.GenerateRateSample(TimeSpan.Zero);
        Assert.False(rs.IsApplicationLimited);
        Assert.True(e.IsApplicationLimited); // delivered 2000 has not passed 2000 yet

        e.OnPacketAcked(2, Ms(2), 1000, s2, Ms(52));
        rs = e.GenerateRateSample(TimeSpan.Zero);
        Assert.True(rs.IsApplicationLimited);   // the sample came from an app-limited packet
        Assert.False(e.IsApplicationLimited);   // the bubble is delivered: cleared
        Assert.False(e.OnPacketSent(Ms(60), 0, 1000).IsApplicationLimited);
    }

    [Fact]
    public void EmptyPipeMarksOne()
    {
        var e = new DeliveryRateEstimator();
        e.OnApplicationLimited(0);
        Assert.Equal(1, e.AppLimitedUntil);
    }

    [Fact]
    public void LostBytesSinceThePacketWasSentAreReported()
    {
        var e = new DeliveryRateEstimator();
        var s0 = e.OnPacketSent(Ms(0), 0, 1000);
        e.OnPacketsLost(500); // lost before packet 1 was sent: not counted for it
        var s1 = e.OnPacketSent(Ms(1), 1000, 1000);
        e.OnPacketsLost(1200);
        e.OnPacketAcked(1, Ms(1), 1000, s1, Ms(40));
        Assert.Equal(1200, e.GenerateRateSample(TimeSpan.Zero).Lost);
        e.OnPacketAcked(0, Ms(0), 1000, s0, Ms(41));
        Assert.Equal(1700, e.GenerateRateSample(TimeSpan.Zero).Lost);
    }

    [Fact]
    public void LossDetectorPutsTheSampleIntoTheAckEvent()
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true);
        for (int pn = 0; pn < 4; pn++) d.OnPacketSent(PacketNumberSpace.ApplicationData, pn, Ms(pn), 1000, true, true);
        d.IsApplicationLimited = true;
        d.OnAckReceived(PacketNumberSpace.ApplicationData, [new AckRange(0, 3)], TimeSpan.Zero, Ms(100));
        var ack = cc.Acks.Single();
        Assert.Equal(4000, ack.RateSample.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(100), ack.RateSample.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(97), ack.RateSample.Rtt);
        Assert.True(ack.IsApplicationLimited);
        Assert.Equal(4000, d.DeliveryRate.Delivered);
    }
}
