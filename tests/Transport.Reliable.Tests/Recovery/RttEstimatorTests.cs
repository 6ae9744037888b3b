using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

public class RttEstimatorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private static readonly TimeSpan MaxAckDelay = Ms(25);

    [Fact]
    public void BeforeAnySampleUsesTheInitialRtt()
    {
        // RFC 9002 §5.3, §6.2.2: smoothed_rtt = 333 ms, rttvar = 166.5 ms.
        var rtt = new RttEstimator();
        Assert.False(rtt.HasSample);
        Assert.Equal(Ms(333), rtt.SmoothedRtt);
        Assert.Equal(Ms(166.5), rtt.RttVariance);
        // PTO = 333 + 4 * 166.5 = 999 ms (no max_ack_delay outside the application data space).
        Assert.Equal(Ms(999), rtt.GetProbeTimeout(MaxAckDelay, includeMaxAckDelay: false));
        Assert.Equal(Ms(100), new RttEstimator(Ms(100)).SmoothedRtt);
    }

    [Fact]
    public void AHugeAckDelayFromThePeer_BeforeConfirmation_IsIgnoredWithoutOverflow()
    {
        // The peer controls ACK Delay; decoded with a large exponent it saturates to TimeSpan.MaxValue. Before the
        // handshake is confirmed it is not capped by max_ack_delay, so the estimator must not overflow on it.
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, handshakeConfirmed: false, MaxAckDelay);
        rtt.Update(Ms(120), TimeSpan.MaxValue, handshakeConfirmed: false, MaxAckDelay);
        Assert.Equal(Ms(120), rtt.LatestRtt);
        Assert.Equal(Ms(102.5), rtt.SmoothedRtt); // 7/8 * 100 + 1/8 * 120: the delay would go below min_rtt, so not subtracted
    }

    [Fact]
    public void FirstSampleInitialisesEverything()
    {
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), Ms(10), handshakeConfirmed: true, MaxAckDelay);
        Assert.Equal(Ms(100), rtt.LatestRtt);
        Assert.Equal(Ms(100), rtt.MinRtt);
        Assert.Equal(Ms(100), rtt.SmoothedRtt); // the first sample's ack delay is not subtracted
        Assert.Equal(Ms(50), rtt.RttVariance);
    }

    [Fact]
    public void LaterSamplesAreSmoothedWithAckDelaySubtracted()
    {
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        rtt.Update(Ms(120), Ms(10), true, MaxAckDelay);
        // adjusted = 110; rttvar = 3/4*50 + 1/4*|100-110| = 40; smoothed = 7/8*100 + 1/8*110 = 101.25
        Assert.Equal(Ms(40), rtt.RttVariance);
        Assert.Equal(Ms(101.25), rtt.SmoothedRtt);
        Assert.Equal(Ms(100), rtt.MinRtt);
        Assert.Equal(Ms(120), rtt.LatestRtt);
    }

    [Fact]
    public void AckDelayIsCappedByMaxAckDelayOnceConfirmed()
    {
        var confirmed = new RttEstimator();
        confirmed.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        confirmed.Update(Ms(200), Ms(80), handshakeConfirmed: true, MaxAckDelay); // adjusted = 200 - 25 = 175
        Assert.Equal(Ms(100 * 7 / 8.0 + 175 / 8.0), confirmed.SmoothedRtt);

        var unconfirmed = new RttEstimator();
        unconfirmed.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        unconfirmed.Update(Ms(200), Ms(80), handshakeConfirmed: false, MaxAckDelay); // adjusted = 120
        Assert.Equal(Ms(100 * 7 / 8.0 + 120 / 8.0), unconfirmed.SmoothedRtt);
    }

    [Fact]
    public void AckDelayNeverTakesTheSampleBelowMinRtt()
    {
        // RFC 9002 §5.3: subtract ack_delay only if latest_rtt >= min_rtt + ack_delay.
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        rtt.Update(Ms(110), Ms(20), true, MaxAckDelay); // 110 < 100 + 20: use 110 unadjusted
        Assert.Equal(Ms(100 * 7 / 8.0 + 110 / 8.0), rtt.SmoothedRtt);
    }

    [Fact]
    public void MinRttIgnoresAckDelay()
    {
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        rtt.Update(Ms(90), Ms(20), true, MaxAckDelay);
        Assert.Equal(Ms(90), rtt.MinRtt);
    }

    [Fact]
    public void ProbeTimeoutIncludesMaxAckDelayOnlyWhenAsked()
    {
        var rtt = new RttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        Assert.Equal(Ms(300), rtt.GetProbeTimeout(MaxAckDelay, false));
        Assert.Equal(Ms(325), rtt.GetProbeTimeout(MaxAckDelay, true));
        Assert.Equal(Ms(1300), rtt.GetProbeTimeout(MaxAckDelay, true, ptoCount: 2));
    }

    [Fact]
    public void ProbeTimeoutUsesGranularityWhenVarianceIsTiny()
    {
        var rtt = new RttEstimator();
        rtt.Update(TimeSpan.FromTicks(1), TimeSpan.Zero, true, MaxAckDelay);
        for (int i = 0; i < 50; i++) rtt.Update(TimeSpan.FromTicks(1), TimeSpan.Zero, true, MaxAckDelay);
        Assert.Equal(TimeSpan.FromTicks(1) + Ms(1), rtt.GetProbeTimeout(MaxAckDelay, false));
    }

    [Fact]
    public void LossDelayIsNineEighthsOfTheLargerRttAndAtLeastGranularity()
    {
        var rtt = new RttEstimator();
        rtt.Update(Ms(80), TimeSpan.Zero, true, MaxAckDelay);
        rtt.Update(Ms(160), TimeSpan.Zero, true, MaxAckDelay); // latest 160 > smoothed 90
        Assert.Equal(Ms(180), rtt.GetLossDelay());
        var tiny = new RttEstimator(TimeSpan.FromTicks(10));
        tiny.Update(TimeSpan.FromTicks(10), TimeSpan.Zero, true, MaxAckDelay);
        Assert.Equal(Ms(1), tiny.GetLossDelay());
    }

    [Fact]
    public void BackoffSaturates()
    {
        var rtt = new RttEstimator();
        Assert.Equal(TimeSpan.MaxValue, rtt.GetProbeTimeout(MaxAckDelay, true, ptoCount: 80));
        Assert.Throws<ArgumentOutOfRangeException>(() => rtt.GetProbeTimeout(MaxAckDelay, true, ptoCount: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rtt.Update(Ms(-1), TimeSpan.Zero, true, MaxAckDelay));
    }

    [Fact]
    public void Property_SmoothedRttStaysWithinTheSampleRange()
    {
        var arb = Gen.NonEmptyListOf(Gen.Choose(1, 2_000_000)).ToArbitrary(); // microseconds
        Prop.ForAll(arb, samples =>
        {
            var rtt = new RttEstimator();
            long min = long.MaxValue, max = long.MinValue;
            foreach (int us in samples)
            {
                var sample = TimeSpan.FromMicroseconds(us);
                rtt.Update(sample, TimeSpan.Zero, true, MaxAckDelay);
                min = Math.Min(min, sample.Ticks);
                max = Math.Max(max, sample.Ticks);
                Assert.InRange(rtt.SmoothedRtt.Ticks, min, max);
                Assert.Equal(min, rtt.MinRtt.Ticks);
                Assert.True(rtt.RttVariance >= TimeSpan.Zero);
                Assert.True(rtt.RttVariance.Ticks <= max - min + max / 2 + 1);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Property_PtoIsAtLeastGranularityAndDoublesWithBackoff()
    {
        var arb = Gen.ListOf(Gen.Choose(0, 2_000_000)).Zip(Gen.Choose(0, 20)).ToArbitrary();
        Prop.ForAll(arb, input =>
        {
            var (samples, ptoCount) = input;
            var rtt = new RttEstimator();
            foreach (int us in samples) rtt.Update(TimeSpan.FromMicroseconds(us), TimeSpan.Zero, true, MaxAckDelay);
            var basePto = rtt.GetProbeTimeout(MaxAckDelay, false);
            Assert.True(basePto >= TimeSpan.FromMilliseconds(1));
            Assert.True(rtt.GetProbeTimeout(MaxAckDelay, true) == basePto + MaxAckDelay);
            var p = rtt.GetProbeTimeout(MaxAckDelay, true, ptoCount);
            var next = rtt.GetProbeTimeout(MaxAckDelay, true, ptoCount + 1);
            Assert.Equal(p.Ticks * 2, next.Ticks);
            Assert.Equal((basePto + MaxAckDelay).Ticks << ptoCount, p.Ticks);
        }).QuickCheckThrowOnFailure();
    }
}
