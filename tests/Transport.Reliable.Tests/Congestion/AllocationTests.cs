using Transport.Core.Time;
using Transport.Reliable.Congestion;
using Transport.Tests.Shared;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>The per-packet paths of the controllers and the pacer allocate nothing in steady state.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.Bbr)]
    public void Steady_state_send_ack_and_pace_allocate_nothing(CongestionControlAlgorithm algorithm)
    {
        var cc = CongestionControllerFactory.For(algorithm).Create(1200);
        var pacer = new Pacer(1200);
        var packets = new AckedPacket[2];
        long pn = 0, delivered = 0, inFlight = 0;
        Instant now = Instant.FromMilliseconds(10);

        void Step()
        {
            for (int i = 0; i < 2; i++)
            {
                inFlight += 1200;
                cc.OnPacketSent(now, 1200, inFlight);
                now = pacer.NextSendTime(now, 1200);
                pacer.OnPacketSent(now, 1200);
            }
            now += TimeSpan.FromMilliseconds(1);
            packets[0] = new AckedPacket(pn, now - TimeSpan.FromMilliseconds(30), 1200);
            packets[1] = new AckedPacket(pn + 1, now - TimeSpan.FromMilliseconds(30), 1200);
            pn += 2;
            long prior = inFlight;
            inFlight -= 2400;
            delivered += 2400;
            var ack = new AckEvent
            {
                Packets = packets, BytesAcked = 2400, PriorBytesInFlight = prior, BytesInFlight = inFlight,
                LatestRtt = TimeSpan.FromMilliseconds(30), SmoothedRtt = TimeSpan.FromMilliseconds(30), MinRtt = TimeSpan.FromMilliseconds(30),
                RateSample = new RateSample
                {
                    Delivered = 24000, Interval = TimeSpan.FromMilliseconds(30), PriorDelivered = delivered - 24000,
                    TotalDelivered = delivered, TxInFlight = prior, Rtt = TimeSpan.FromMilliseconds(30),
                },
            };
            cc.OnAck(now, ack);
            pacer.SetRate(now, cc.PacingRate);
        }

        // Warm up (JIT, tiering), then the fewest bytes allocated in any of several windows.
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(Step, warmupRounds: 2000, measuredRounds: 2000);
        Assert.Equal(0, allocated);
    }
}
