using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;
using Transport.Reliable.Recovery;
using Transport.Tests.Shared;

namespace Transport.Reliable.Tests.Recovery;

/// <summary>The per-packet paths allocate nothing once their buffers have grown (DESIGN.md: hot paths allocate nothing).</summary>
public class AllocationTests
{
    private sealed class NullController : ICongestionController
    {
        public string Name => "null";
        public long CongestionWindow => long.MaxValue;
        public double PacingRate => 0;
        public CongestionState State => CongestionState.SlowStart;
        public void OnPacketSent(Instant now, int bytes, long bytesInFlight) { }
        public void OnAck(Instant now, in AckEvent ack) { }
        public void OnCongestionEvent(Instant now, in CongestionEvent congestion) { }
        public void OnSpuriousCongestionEvent(Instant now) { }
        public void OnMaxDatagramSizeChanged(int maxDatagramSize) { }
    }

    [Fact]
    public void SendAndAckRoundsAllocateNothingInSteadyState()
    {
        var d = new LossDetector(new NullController(), isServer: true);
        d.OnHandshakeConfirmed(Instant.Zero);
        var ranges = new AckRange[4];
        long next = 0, acknowledged = 0;
        var now = Instant.FromMilliseconds(1);

        void Round()
        {
            long first = next;
            for (int i = 0; i < 67; i++)
            {
                d.OnPacketSent(PacketNumberSpace.ApplicationData, next++, now, 1200, true, true);
                now += TimeSpan.FromMicroseconds(100);
            }
            for (int r = 0; r < 4; r++)
            {
                long s = first + (3 - r) * 17;
                ranges[r] = new AckRange(s, s + 15);
            }
            now += TimeSpan.FromMilliseconds(20);
            var outcome = d.OnAckReceived(PacketNumberSpace.ApplicationData, ranges, TimeSpan.FromMilliseconds(1), now);
            acknowledged += outcome.NewlyAcknowledged.Length; // (xunit's Assert allocates: checked after the loop)
            // Late ACK of the gaps of the previous round: spurious losses.
            if (first >= 67)
            {
                ranges[0] = new AckRange(first - 67, first - 1);
                d.OnAckReceived(PacketNumberSpace.ApplicationData, ranges.AsSpan(0, 1), TimeSpan.Zero, now);
            }
            if (d.LossDetectionTimer is { } t && t <= now) d.OnLossDetectionTimeout(now);
        }

        int rounds = 0;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => { Round(); rounds++; }, warmupRounds: 1000, measuredRounds: 200);
        Assert.Equal(0, allocated);
        Assert.Equal(rounds * 64L, acknowledged);
        Assert.True(rounds >= 1200);
        Assert.True(d.SpuriousLossCount > 0);
    }

    [Fact]
    public void ReceivingPacketsAllocatesNothing()
    {
        var t = new ReceivedPacketTracker(PacketNumberSpace.ApplicationData, TimeSpan.FromMilliseconds(25), maxRanges: 16);
        var now = Instant.FromMilliseconds(1);
        long pn = 0;
        void Round()
        {
            for (int i = 0; i < 100; i++)
            {
                pn += i % 10 == 0 ? 2 : 1; // a gap every ten packets
                t.OnPacketReceived(pn, true, now);
                now += TimeSpan.FromMicroseconds(50);
                if (t.IsAckDue(now))
                {
                    _ = t.GetAckDelay(now);
                    foreach (var r in t.Ranges) _ = r.Count;
                    t.OnAckSent();
                }
            }
            t.OnAckFrameAcknowledged(pn - 50);
        }
        Assert.Equal(0, AllocationMeter.MinimumAllocatedPerAttempt(Round, warmupRounds: 1000, measuredRounds: 100));
    }
}
