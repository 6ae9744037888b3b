using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

public class LossDetectorTests
{
    private const PacketNumberSpace App = PacketNumberSpace.ApplicationData;
    private const PacketNumberSpace Initial = PacketNumberSpace.Initial;
    private const PacketNumberSpace Handshake = PacketNumberSpace.Handshake;
    private static readonly TimeSpan MaxAckDelay = TimeSpan.FromMilliseconds(25);

    private static Instant Ms(double ms) => Instant.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
    private static TimeSpan Span(double ms) => TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
    private static AckRange[] R(params (long Smallest, long Largest)[] ranges) => ranges.Select(r => new AckRange(r.Smallest, r.Largest)).ToArray();

    private static (LossDetector Detector, RecordingController Controller) Server(bool confirmed = true)
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = MaxAckDelay };
        if (confirmed) d.OnHandshakeConfirmed(Instant.Zero);
        return (d, cc);
    }

    private static void Send(LossDetector d, PacketNumberSpace space, long pn, double ms, int size = 1200, bool ackEliciting = true) =>
        d.OnPacketSent(space, pn, Ms(ms), size, ackEliciting, isInFlight: true, payload: pn);

    [Fact]
    public void AckOfOnePacketSamplesRttAndEmptiesFlight()
    {
        var (d, cc) = Server();
        Send(d, App, 0, 0);
        Assert.Equal(1200, d.BytesInFlight);
        Assert.Equal((Ms(0), 1200, 1200L), cc.Sent.Single());

        var outcome = d.OnAckReceived(App, R((0, 0)), TimeSpan.Zero, Ms(100));
        Assert.True(outcome.IsSuccess);
        Assert.True(outcome.HasRttSample);
        Assert.Equal(0, outcome.NewlyAcknowledged[0].PacketNumber);
        Assert.Equal(0L, outcome.NewlyAcknowledged[0].Payload);
        Assert.Equal(0, d.BytesInFlight);
        Assert.Equal(Span(100), d.Rtt.LatestRtt);
        var ack = cc.Acks.Single();
        Assert.Equal(1200, ack.BytesAcked);
        Assert.Equal(1200, ack.PriorBytesInFlight);
        Assert.Equal(0, ack.BytesInFlight);
        Assert.Equal(Span(100), ack.LatestRtt);
        Assert.Null(d.LossDetectionTimer); // nothing in flight, server: no timer
        Assert.Equal(0, d.GetTrackedPacketCount(App));
    }

    [Fact]
    public void NoRttSampleWhenLargestWasAlreadyAcknowledgedOrNothingAckEliciting()
    {
        var (d, _) = Server();
        Send(d, App, 0, 0);
        Send(d, App, 1, 1);
        Send(d, App, 2, 2, ackEliciting: false);
        Assert.True(d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(50)).HasRttSample);
        // Largest (1) already acknowledged: acknowledging 0 now gives no sample.
        var again = d.OnAckReceived(App, R((0, 1)), TimeSpan.Zero, Ms(60));
        Assert.Equal(1, again.NewlyAcknowledged.Length);
        Assert.False(again.HasRttSample);
        // Only a non-ack-eliciting packet newly acknowledged: no sample (RFC 9002 §5.1).
        var nonEliciting = d.OnAckReceived(App, R((0, 2)), TimeSpan.Zero, Ms(70));
        Assert.Equal(2, nonEliciting.NewlyAcknowledged[0].PacketNumber);
        Assert.False(nonEliciting.HasRttSample);
        Assert.Equal(Span(49), d.Rtt.LatestRtt);
    }

    [Fact]
    public void AckedPacketsReachTheControllerInAscendingOrder()
    {
        var (d, cc) = Server();
        for (int pn = 0; pn < 10; pn++) Send(d, App, pn, pn);
        d.OnAckReceived(App, R((8, 9), (5, 6), (0, 2)), TimeSpan.Zero, Ms(100));
        Assert.Equal([0L, 1, 2, 5, 6, 8, 9], cc.Acks.Single().Packets.Select(p => p.PacketNumber));
    }

    [Fact]
    public void PacketThresholdDeclaresLossAndTimeThresholdArmsTheTimer()
    {
        var (d, cc) = Server();
        for (int pn = 0; pn <= 4; pn++) Send(d, App, pn, 90 + pn);
        var outcome = d.OnAckReceived(App, R((3, 3)), TimeSpan.Zero, Ms(163)); // RTT sample 70 ms
        // RFC 9002 §6.1.1: 3 >= 0 + 3, so packet 0 is lost (73 ms old: not by time); 1 and 2 are not (yet).
        Assert.Equal([0L], outcome.Lost.ToArray().Select(p => p.PacketNumber));
        Assert.True(d.IsOutstanding(App, 1));
        Assert.True(d.IsOutstanding(App, 2));
        Assert.Equal(3 * 1200, d.BytesInFlight); // 1, 2, 4
        var congestion = cc.CongestionEvents.Single().Event;
        Assert.Equal(1200, congestion.LostBytes);
        Assert.Equal(Ms(90), congestion.LargestSentTime);
        Assert.Equal(4 * 1200, congestion.PriorBytesInFlight);
        Assert.Equal(3 * 1200, congestion.BytesInFlight);
        Assert.False(congestion.IsPersistentCongestion);

        // RFC 9002 §6.1.2: loss delay = 9/8 * max(smoothed 70, latest 70) = 78.75 ms after packet 1's send time (91 ms).
        Assert.Equal(Ms(169.75), d.GetLossTime(App));
        Assert.Equal(Ms(169.75), d.LossDetectionTimer);

        // The timer expires: packet 1 is lost by time; 2 (sent at 92 ms) waits until 170.75 ms.
        var early = d.OnLossDetectionTimeout(Ms(169));
        Assert.Equal(LossDetectionTimeoutKind.None, early.Kind);
        var timeout = d.OnLossDetectionTimeout(Ms(169.75));
        Assert.Equal(LossDetectionTimeoutKind.LossTime, timeout.Kind);
        Assert.Equal(App, timeout.Space);
        Assert.Equal([1L], timeout.Lost.ToArray().Select(p => p.PacketNumber));
        Assert.Equal(Ms(170.75), d.LossDetectionTimer);
        Assert.Equal(2, cc.CongestionEvents.Count);
    }

    [Fact]
    public void TimeThresholdIsAtLeastGranularity()
    {
        var (d, _) = Server();
        Send(d, App, 0, 0);
        Send(d, App, 1, 0);
        d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(0.01)); // RTT 10 µs: 9/8 of it is below 1 ms
        Assert.Equal(Ms(1), d.GetLossTime(App));
    }

    [Fact]
    public void ProbeTimeoutForApplicationDataIncludesMaxAckDelayAndBacksOff()
    {
        var (d, _) = Server();
        Send(d, App, 0, 0);
        d.OnAckReceived(App, R((0, 0)), TimeSpan.Zero, Ms(100)); // smoothed 100, rttvar 50
        Send(d, App, 1, 200);
        // RFC 9002 §6.2.1: 200 + 100 + 4*50 + 25 = 525 ms.
        Assert.Equal(Ms(525), d.LossDetectionTimer);
        var first = d.OnLossDetectionTimeout(Ms(525));
        Assert.Equal(LossDetectionTimeoutKind.ProbeTimeout, first.Kind);
        Assert.Equal(App, first.Space);
        Assert.Equal(2, first.ProbeCount);
        Assert.Equal(1, d.PtoCount);
        // Backoff: (300 + 25) * 2 from the last ack-eliciting packet.
        Assert.Equal(Ms(200 + 650), d.LossDetectionTimer);
        Send(d, App, 2, 525);
        Send(d, App, 3, 525);
        Assert.Equal(Ms(525 + 650), d.LossDetectionTimer);
        d.OnLossDetectionTimeout(Ms(1175));
        Assert.Equal(2, d.PtoCount);
        Assert.Equal(Ms(525 + 1300), d.LossDetectionTimer);
        // An acknowledgment resets pto_count (RFC 9002 §6.2.1).
        d.OnAckReceived(App, R((3, 3)), TimeSpan.Zero, Ms(1200));
        Assert.Equal(0, d.PtoCount);
    }

    [Fact]
    public void HandshakeSpacePtoHasNoMaxAckDelay()
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = MaxAckDelay };
        Send(d, Handshake, 0, 0);
        // 333 + 4 * 166.5 = 999 ms: no max_ack_delay for the Handshake space.
        Assert.Equal(Ms(999), d.LossDetectionTimer);
        var timeout = d.OnLossDetectionTimeout(Ms(999));
        Assert.Equal(Handshake, timeout.Space);
        Assert.Equal(Ms(1998), d.LossDetectionTimer);
    }

    [Fact]
    public void NoApplicationDataPtoBeforeHandshakeConfirmed()
    {
        var (d, _) = Server(confirmed: false);
        Send(d, App, 0, 0); // 0.5-RTT data
        Assert.Null(d.LossDetectionTimer);
        d.OnHandshakeConfirmed(Ms(10));
        Assert.Equal(Ms(999 + 25), d.LossDetectionTimer);
    }

    [Fact]
    public void EarliestSpacePtoWins()
    {
        var (d, _) = Server(confirmed: false);
        Send(d, Initial, 0, 10);
        Send(d, Handshake, 0, 5);
        Assert.Equal(Ms(1004), d.LossDetectionTimer);
        Assert.Equal(Handshake, d.OnLossDetectionTimeout(Ms(1004)).Space);
    }

    [Fact]
    public void ClientArmsAntiDeadlockTimerUntilServerValidatesItsAddress()
    {
        // RFC 9002 §6.2.2.1.
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: false);
        Send(d, Initial, 0, 0);
        d.OnAckReceived(Initial, R((0, 0)), TimeSpan.Zero, Ms(100)); // nothing in flight any more
        Assert.Equal(Ms(100 + 300), d.LossDetectionTimer); // now + smoothed + 4*rttvar
        var probe = d.OnLossDetectionTimeout(Ms(400));
        Assert.Equal(LossDetectionTimeoutKind.AntiDeadlockProbe, probe.Kind);
        Assert.Equal(Initial, probe.Space);
        Assert.Equal(1, probe.ProbeCount);
        Assert.Equal(Ms(400 + 600), d.LossDetectionTimer); // backed off, from now

        d.OnHandshakeKeysAvailable(Ms(410));
        d.DiscardSpace(Initial, Ms(410)); // resets pto_count
        Assert.Equal(Ms(410 + 300), d.LossDetectionTimer);
        Assert.Equal(Handshake, d.OnLossDetectionTimeout(Ms(710)).Space);

        Send(d, Handshake, 0, 720);
        d.OnAckReceived(Handshake, R((0, 0)), TimeSpan.Zero, Ms(800)); // a Handshake ACK: address validated
        Assert.True(d.PeerCompletedAddressValidation);
        Assert.Null(d.LossDetectionTimer);
    }

    [Fact]
    public void ServerAtAmplificationLimitHasNoTimer()
    {
        var (d, _) = Server(confirmed: false);
        Send(d, Initial, 0, 0);
        Assert.NotNull(d.LossDetectionTimer);
        d.SetAntiAmplificationLimited(true, Ms(1));
        Assert.Null(d.LossDetectionTimer);
        d.SetAntiAmplificationLimited(false, Ms(2));
        Assert.Equal(Ms(999), d.LossDetectionTimer);
    }

    [Fact]
    public void LossTimerTakesPrecedenceOverPto()
    {
        var (d, _) = Server();
        Send(d, App, 0, 0);
        Send(d, App, 1, 1);
        d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(101)); // RTT 100; packet 0 awaits time threshold
        Assert.Equal(Ms(112.5), d.LossDetectionTimer);
    }

    [Fact]
    public void PersistentCongestionExampleFromRfc9002()
    {
        // RFC 9002 §7.6.3, reconstructed so that smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay = 2 s after the
        // first sample: RTT 0.6 s (rttvar 0.3 s) and max_ack_delay 0.2 s. The RFC's table receives the ACK of #1 at t=1.2,
        // after #2 was sent at t=1; §7.6.2 (and A.11) only count packets sent after the first RTT sample, so here the ACK
        // of #1 arrives at t=0.6, before #2, and the period 1 s .. 8 s is the RFC's.
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = Span(200) };
        d.OnHandshakeConfirmed(Instant.Zero);
        Send(d, App, 1, 0);
        d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(600));
        Assert.Equal(Span(2000), d.Rtt.GetProbeTimeout(d.MaxAckDelay, true));
        for (int pn = 2; pn <= 7; pn++) Send(d, App, pn, (pn - 1) * 1000); // t = 1 .. 6 s
        Send(d, App, 8, 8000);  // PTO 1
        Send(d, App, 9, 12000); // PTO 2
        var outcome = d.OnAckReceived(App, R((9, 9)), TimeSpan.Zero, Ms(12200));
        // Packets 2..8 are lost; they span 8 - 1 = 7 s > 3 * 2.05 s (the duration after the 0.2 s sample).
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8], outcome.Lost.ToArray().Select(p => p.PacketNumber));
        Assert.True(outcome.IsPersistentCongestion);
        Assert.True(cc.CongestionEvents.Single().Event.IsPersistentCongestion);
        Assert.Equal(0, d.BytesInFlight);
    }

    [Fact]
    public void PersistentCongestionPeriodMayContainNonAckElicitingPackets()
    {
        // Only the two packets bounding the period must be ack-eliciting (RFC 9002 §7.6.2).
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = Span(200) };
        d.OnHandshakeConfirmed(Instant.Zero);
        Send(d, App, 1, 0);
        d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(600));
        Send(d, App, 2, 1000);
        for (int pn = 3; pn <= 7; pn++) Send(d, App, pn, (pn - 1) * 1000, ackEliciting: false);
        Send(d, App, 8, 8000);
        Send(d, App, 9, 12000);
        Assert.True(d.OnAckReceived(App, R((9, 9)), TimeSpan.Zero, Ms(12200)).IsPersistentCongestion);

        // With #2 non-ack-eliciting the period starts at #8 alone: no persistent congestion.
        var d2 = new LossDetector(new RecordingController(), isServer: true) { MaxAckDelay = Span(200) };
        d2.OnHandshakeConfirmed(Instant.Zero);
        Send(d2, App, 1, 0);
        d2.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(600));
        for (int pn = 2; pn <= 7; pn++) Send(d2, App, pn, (pn - 1) * 1000, ackEliciting: false);
        Send(d2, App, 8, 8000);
        Send(d2, App, 9, 12000);
        Assert.False(d2.OnAckReceived(App, R((9, 9)), TimeSpan.Zero, Ms(12200)).IsPersistentCongestion);
    }

    [Fact]
    public void NoPersistentCongestionWhenAPacketBetweenWasAcknowledged()
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = Span(200) };
        d.OnHandshakeConfirmed(Instant.Zero);
        Send(d, App, 1, 0);
        d.OnAckReceived(App, R((1, 1)), TimeSpan.Zero, Ms(600));
        for (int pn = 2; pn <= 7; pn++) Send(d, App, pn, (pn - 1) * 1000);
        Send(d, App, 8, 8000);
        Send(d, App, 9, 12000);
        // Packet 5 (sent at 4 s) was acknowledged: the lost runs 2..4 (2 s) and 6..8 (4 s) are each shorter than 6.15 s.
        var outcome = d.OnAckReceived(App, R((9, 9), (5, 5)), TimeSpan.Zero, Ms(12200));
        Assert.Equal(6, outcome.Lost.Length);
        Assert.False(outcome.IsPersistentCongestion);
    }

    [Fact]
    public void NoPersistentCongestionForPacketsSentBeforeTheFirstRttSample()
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true) { MaxAckDelay = Span(200) };
        d.OnHandshakeConfirmed(Instant.Zero);
        for (int pn = 0; pn <= 8; pn++) Send(d, App, pn, pn * 1000);
        Send(d, App, 9, 12000);
        var outcome = d.OnAckReceived(App, R((9, 9)), TimeSpan.Zero, Ms(12200));
        Assert.Equal(9, outcome.Lost.Length);
        Assert.False(outcome.IsPersistentCongestion); // no RTT sample existed when they were sent
    }

    [Fact]
    public void LateAckOfALostPacketIsASpuriousLoss()
    {
        var (d, cc) = Server();
        for (int pn = 0; pn <= 3; pn++) Send(d, App, pn, pn);
        var first = d.OnAckReceived(App, R((3, 3)), TimeSpan.Zero, Ms(50));
        Assert.Equal(0, first.Lost[0].PacketNumber);
        long flight = d.BytesInFlight;
        var late = d.OnAckReceived(App, R((0, 3)), TimeSpan.Zero, Ms(55));
        Assert.Equal([0L], late.SpuriouslyLost.ToArray().Select(p => p.PacketNumber));
        Assert.Equal([1L, 2], late.NewlyAcknowledged.ToArray().Select(p => p.PacketNumber));
        Assert.Equal(1, d.SpuriousLossCount);
        Assert.Equal(Ms(55), cc.SpuriousEvents.Single());
        Assert.Equal(flight - 2 * 1200, d.BytesInFlight); // the lost packet had already left bytes in flight
        // Acknowledging it again changes nothing.
        var again = d.OnAckReceived(App, R((0, 3)), TimeSpan.Zero, Ms(56));
        Assert.Equal(0, again.SpuriouslyLost.Length + again.NewlyAcknowledged.Length);
        Assert.Single(cc.SpuriousEvents);
    }

    [Fact]
    public void DiscardingASpaceRemovesItsBytesFromFlightWithoutCongestion()
    {
        var (d, cc) = Server(confirmed: false);
        Send(d, Initial, 0, 0, size: 1200);
        Send(d, Initial, 1, 1, size: 1200);
        Send(d, Handshake, 0, 2, size: 800);
        Assert.Equal(3200, d.BytesInFlight);
        d.OnLossDetectionTimeout(Ms(1001));
        Assert.Equal(1, d.PtoCount);
        d.DiscardSpace(Initial, Ms(1002));
        Assert.Equal(800, d.BytesInFlight);
        Assert.Equal(0, d.GetAckElicitingInFlight(Initial));
        Assert.Equal(0, d.PtoCount);
        Assert.Empty(cc.CongestionEvents);
        Assert.Equal(Ms(2 + 999), d.LossDetectionTimer); // only the Handshake packet remains
        // An ACK in a discarded space is ignored.
        Assert.Equal(0, d.OnAckReceived(Initial, R((0, 1)), TimeSpan.Zero, Ms(1003)).NewlyAcknowledged.Length);
        Assert.Throws<InvalidOperationException>(() => Send(d, Initial, 2, 1004));
        Assert.Throws<ArgumentException>(() => d.DiscardSpace(App, Ms(1005)));
    }

    [Fact]
    public void AckOfASkippedPacketNumberIsAnError()
    {
        var (d, cc) = Server();
        Send(d, App, 0, 0);
        Send(d, App, 2, 1); // 1 skipped
        Send(d, App, 3, 2);
        var outcome = d.OnAckReceived(App, R((0, 3)), TimeSpan.Zero, Ms(50));
        Assert.Equal(ReliableError.AckOfUnsentPacket, outcome.Error);
        // Nothing changed.
        Assert.Equal(3 * 1200, d.BytesInFlight);
        Assert.Empty(cc.Acks);
        Assert.Equal(-1, d.GetLargestAcknowledged(App));
        Assert.True(d.OnAckReceived(App, R((2, 3), (0, 0)), TimeSpan.Zero, Ms(50)).IsSuccess);
        Assert.Equal(0, d.BytesInFlight);
    }

    [Fact]
    public void AckBeyondLargestSentIsAnError()
    {
        var (d, _) = Server();
        Assert.Equal(ReliableError.LargestAcknowledgedBeyondLargestSent, d.OnAckReceived(App, R((0, 0)), TimeSpan.Zero, Ms(1)).Error);
        Send(d, App, 0, 0);
        Assert.Equal(ReliableError.LargestAcknowledgedBeyondLargestSent, d.OnAckReceived(App, R((0, 1)), TimeSpan.Zero, Ms(1)).Error);
        Assert.Equal(1200, d.BytesInFlight);
    }

    [Fact]
    public void MalformedRangesAreAnError()
    {
        var (d, _) = Server();
        for (int pn = 0; pn < 10; pn++) Send(d, App, pn, pn);
        Assert.Equal(ReliableError.MalformedAckRanges, d.OnAckReceived(App, [], TimeSpan.Zero, Ms(20)).Error);
        Assert.Equal(ReliableError.MalformedAckRanges, d.OnAckReceived(App, R((5, 4)), TimeSpan.Zero, Ms(20)).Error);
        Assert.Equal(ReliableError.MalformedAckRanges, d.OnAckReceived(App, R((1, 2), (5, 6)), TimeSpan.Zero, Ms(20)).Error);
        Assert.Equal(ReliableError.MalformedAckRanges, d.OnAckReceived(App, R((4, 6), (2, 4)), TimeSpan.Zero, Ms(20)).Error);
        Assert.Equal(ReliableError.MalformedAckRanges, d.OnAckReceived(App, R((-1, 2)), TimeSpan.Zero, Ms(20)).Error);
        Assert.Equal(10 * 1200, d.BytesInFlight);
    }

    [Fact]
    public void BadApiArgumentsThrow()
    {
        var (d, _) = Server();
        Send(d, App, 5, 0);
        Assert.Throws<ArgumentException>(() => Send(d, App, 5, 1));
        Assert.Throws<ArgumentException>(() => Send(d, App, 4, 1));
        Assert.Throws<ArgumentException>(() => d.OnPacketSent(App, 6, Ms(1), 100, isAckEliciting: true, isInFlight: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.OnPacketSent(App, 7, Ms(1), -1, false, false));
        Assert.Throws<ArgumentNullException>(() => new LossDetector(null!, true));
    }

    [Fact]
    public void EcnCeIncreaseIsACongestionEvent()
    {
        var (d, cc) = Server();
        Send(d, App, 0, 0);
        Send(d, App, 1, 10);
        Send(d, App, 2, 20);
        d.OnAckReceived(App, R((0, 0)), TimeSpan.Zero, Ms(100), ecnCeCount: 0);
        Assert.Empty(cc.CongestionEvents);
        var outcome = d.OnAckReceived(App, R((0, 1)), TimeSpan.Zero, Ms(110), ecnCeCount: 1);
        Assert.True(outcome.IsEcnCongestion);
        var e = cc.CongestionEvents.Single().Event;
        Assert.True(e.IsEcn);
        Assert.Equal(Ms(10), e.LargestSentTime);
        Assert.Equal(0, e.LostBytes);
        d.OnAckReceived(App, R((0, 2)), TimeSpan.Zero, Ms(120), ecnCeCount: 1); // no increase
        Assert.Single(cc.CongestionEvents);
    }

    [Fact]
    public void InitialAckDelayIsIgnoredButHandshakeAckDelayIsUsed()
    {
        var (d, _) = Server(confirmed: false);
        Send(d, Initial, 0, 0);
        Send(d, Initial, 1, 100);
        d.OnAckReceived(Initial, R((0, 0)), TimeSpan.Zero, Ms(100));
        d.OnAckReceived(Initial, R((0, 1)), Span(50), Ms(300)); // sample 200, delay ignored
        Assert.Equal(Span(100 * 7 / 8.0 + 200 / 8.0), d.Rtt.SmoothedRtt);
        var smoothed = d.Rtt.SmoothedRtt;
        Send(d, Handshake, 0, 300);
        d.OnAckReceived(Handshake, R((0, 0)), Span(50), Ms(500)); // sample 200, minus 50
        Assert.Equal(TimeSpan.FromTicks((smoothed.Ticks * 7 + Span(150).Ticks) / 8), d.Rtt.SmoothedRtt);
    }

    [Fact]
    public void LostPacketsAreForgottenAfterARetentionPeriod()
    {
        var (d, _) = Server();
        for (int pn = 0; pn <= 3; pn++) Send(d, App, pn, pn);
        d.OnAckReceived(App, R((1, 3)), TimeSpan.Zero, Ms(50)); // 0 lost, kept to recognise a late ACK
        Assert.Equal(1, d.GetTrackedPacketCount(App));
        Send(d, App, 4, 9_950);
        d.OnAckReceived(App, R((4, 4)), TimeSpan.Zero, Ms(10_000));
        Assert.Equal(0, d.GetTrackedPacketCount(App));
        // An ACK of the forgotten packet is accepted and ignored.
        Assert.True(d.OnAckReceived(App, R((0, 4)), TimeSpan.Zero, Ms(10_001)).IsSuccess);
    }

    [Fact]
    public void OutstandingPacketsAreListedOldestFirst()
    {
        var (d, _) = Server();
        for (int pn = 0; pn < 6; pn++) Send(d, App, pn, pn);
        d.OnAckReceived(App, R((4, 4), (1, 2)), TimeSpan.Zero, Ms(24)); // RTT 20 ms: 0 is lost, 3 (21 ms old) is not yet
        Span<SentPacket> buffer = new SentPacket[8];
        int n = d.CopyOutstandingPackets(App, buffer);
        Assert.Equal([3L, 5], buffer[..n].ToArray().Select(p => p.PacketNumber));
        Assert.Equal(1, d.CopyOutstandingPackets(App, buffer[..1]));
    }

    [Fact]
    public void NonInFlightPacketsAreTrackedButDoNotCount()
    {
        var (d, cc) = Server();
        d.OnPacketSent(App, 0, Ms(0), 50, isAckEliciting: false, isInFlight: false, payload: "ack-only");
        Assert.Equal(0, d.BytesInFlight);
        Assert.Empty(cc.Sent);
        Assert.Null(d.LossDetectionTimer);
        var outcome = d.OnAckReceived(App, R((0, 0)), TimeSpan.Zero, Ms(10));
        Assert.Equal("ack-only", outcome.NewlyAcknowledged[0].Payload);
        Assert.Empty(cc.Acks); // nothing in flight was acknowledged

        // An ACK-only packet declared lost and acknowledged later is reported, but costs the controller nothing.
        d.OnPacketSent(App, 1, Ms(20), 50, isAckEliciting: false, isInFlight: false);
        for (int pn = 2; pn <= 4; pn++) Send(d, App, pn, 29.5);
        Assert.Equal(1, d.OnAckReceived(App, R((4, 4)), TimeSpan.Zero, Ms(30)).Lost[0].PacketNumber);
        Assert.Empty(cc.CongestionEvents);
        Assert.Equal(1, d.OnAckReceived(App, R((0, 4)), TimeSpan.Zero, Ms(31)).SpuriouslyLost[0].PacketNumber);
        Assert.Empty(cc.SpuriousEvents);
    }
}
