using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

/// <summary><see cref="LossDetector.ResetForNewPath"/>: RFC 9000 §9.4, RFC 9002 §5.3.</summary>
public class LossDetectorPathTests
{
    private static Instant Ms(double ms) => Instant.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));

    [Fact]
    public void ResetForNewPath_swaps_the_controller_and_forgets_rtt_samples_but_keeps_packets_in_flight()
    {
        var first = new RecordingController();
        var d = new LossDetector(first, isServer: true, TimeSpan.FromMilliseconds(200));
        d.OnHandshakeConfirmed(Instant.Zero);
        d.OnPacketSent(PacketNumberSpace.ApplicationData, 0, Ms(0), 1200, true, true, 0L);
        d.OnPacketSent(PacketNumberSpace.ApplicationData, 1, Ms(1), 1200, true, true, 1L);
        Assert.True(d.OnAckReceived(PacketNumberSpace.ApplicationData, [new AckRange(0, 0)], TimeSpan.Zero, Ms(30)).HasRttSample);
        Assert.Equal(TimeSpan.FromMilliseconds(30), d.Rtt.SmoothedRtt);

        var second = new RecordingController();
        d.ResetForNewPath(second, Ms(40));
        Assert.Same(second, d.CongestionController);
        Assert.False(d.Rtt.HasSample);
        Assert.Equal(TimeSpan.FromMilliseconds(200), d.Rtt.SmoothedRtt);
        Assert.Equal(1200, d.BytesInFlight);
        Assert.NotNull(d.LossDetectionTimer);

        // What was in flight is acknowledged through the new controller.
        Assert.True(d.OnAckReceived(PacketNumberSpace.ApplicationData, [new AckRange(0, 1)], TimeSpan.Zero, Ms(50)).IsSuccess);
        Assert.Single(second.Acks);
        Assert.Single(first.Acks);
        Assert.Equal(0, d.BytesInFlight);
        Assert.Throws<ArgumentNullException>(() => d.ResetForNewPath(null!, Ms(60)));
    }
}
