using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

/// <summary>
/// RFC 9002 §7.8 with the "cwnd-limited at any time during the last round trip" rule: request/response traffic that
/// fills the window in a burst and then drains it must still grow the window after a loss, while traffic that never
/// comes near the window must not.
/// </summary>
public class CwndLimitedTests
{
    private const PacketNumberSpace App = PacketNumberSpace.ApplicationData;
    private const int Mds = 1200;

    private static Instant Ms(double ms) => Instant.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));

    private sealed class Sender(ICongestionController cc)
    {
        public readonly LossDetector D = CreateDetector(cc);
        public long Next;
        public double T;

        private static LossDetector CreateDetector(ICongestionController cc)
        {
            var d = new LossDetector(cc, isServer: true);
            d.OnHandshakeConfirmed(Instant.Zero);
            return d;
        }

        public long Send()
        {
            long pn = Next++;
            D.OnPacketSent(App, pn, Ms(T), Mds, isAckEliciting: true, isInFlight: true);
            return pn;
        }

        /// <summary>Sends what the window allows of <paramref name="packets"/>; reports the limit like a connection does. Returns how many were left.</summary>
        public int SendBurst(int packets)
        {
            while (packets > 0 && D.BytesInFlight + Mds <= D.CongestionController.CongestionWindow)
            {
                Send();
                packets--;
            }
            D.IsApplicationLimited = packets == 0; // the window held data back, or everything went out
            return packets;
        }

        public void Ack(long smallest, long largest) =>
            Assert.True(D.OnAckReceived(App, [new AckRange(smallest, largest)], TimeSpan.Zero, Ms(T)).IsSuccess);
    }

    /// <summary>
    /// A loss puts the controller into congestion avoidance; then each 40 ms round the application has one packet more
    /// than the window holds: the burst fills the window, the first ACK frees room for the last packet, the queue is
    /// empty when the rest of the burst is acknowledged.
    /// </summary>
    private static long RunBusyRequestResponse(ICongestionController cc, int rounds, out long afterLoss)
    {
        var s = new Sender(cc);
        for (int i = 0; i < 10; i++) s.Send();
        s.D.IsApplicationLimited = true;
        s.T = 20;
        s.Ack(1, 9); // packet 0 is lost (packet threshold)
        afterLoss = cc.CongestionWindow;
        for (int r = 0; r < rounds; r++)
        {
            s.T += 1;
            long first = s.Next;
            int left = s.SendBurst((int)(cc.CongestionWindow / Mds) + 1);
            Assert.Equal(1, left);
            long last = s.Next - 1;
            s.T += 20;
            s.Ack(first, first);         // room for one more packet
            long late = s.Next;
            Assert.Equal(0, s.SendBurst(left)); // the queue drains: application-limited from here on
            s.T += 1;
            s.Ack(first, last);          // the rest of the burst
            s.T += 19;
            s.Ack(first, late);
        }
        return cc.CongestionWindow;
    }

    [Fact]
    public void NewReno_grows_after_a_loss_under_busy_request_response()
    {
        long end = RunBusyRequestResponse(new NewReno(Mds), 30, out long afterLoss);
        // About one datagram per round; before the rule only the single ACK that arrived while blocked counted (~0.1).
        Assert.True(end >= afterLoss + 15 * Mds, $"cwnd {afterLoss} -> {end}");
    }

    [Fact]
    public void Cubic_grows_after_a_loss_under_busy_request_response()
    {
        long end = RunBusyRequestResponse(new Cubic(Mds), 30, out long afterLoss);
        Assert.True(end >= afterLoss + 6 * Mds, $"cwnd {afterLoss} -> {end}");
    }

    [Fact]
    public void AckEvent_of_a_burst_that_filled_the_window_is_not_application_limited()
    {
        var cc = new RecordingWindowController(6000);
        var s = new Sender(cc);
        s.T = 1;
        Assert.Equal(1, s.SendBurst(6));
        s.T = 21;
        s.Ack(0, 0);
        Assert.Equal(0, s.SendBurst(1)); // drained: the connection now says application-limited
        s.T = 22;
        s.Ack(1, 4);
        Assert.False(cc.LastAckApplicationLimited); // but the window was the limit within the last round trip
        Assert.True(s.D.IsCongestionWindowLimited);
        s.T = 41;
        s.Ack(5, 5); // a packet sent after the full window was acknowledged: that round is over
        s.T = 42;
        s.Send();
        s.T = 62;
        s.Ack(6, 6);
        Assert.True(cc.LastAckApplicationLimited);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Traffic_far_below_the_window_does_not_grow_it(bool cubic)
    {
        ICongestionController cc = cubic ? new Cubic(Mds) : new NewReno(Mds);
        var s = new Sender(cc);
        for (int i = 0; i < 10; i++) s.Send();
        s.D.IsApplicationLimited = true;
        s.T = 20;
        s.Ack(1, 9);
        long afterLoss = cc.CongestionWindow;
        for (int r = 0; r < 30; r++)
        {
            s.T += 1;
            long first = s.Next;
            Assert.Equal(0, s.SendBurst(2)); // 2 of 5 or more datagrams: the window is never the limit
            s.T += 20;
            s.Ack(first, s.Next - 1);
        }
        Assert.Equal(afterLoss, cc.CongestionWindow);
    }

    /// <summary>A fixed window that records the last ACK's application-limited flag.</summary>
    private sealed class RecordingWindowController(long window) : ICongestionController
    {
        public bool LastAckApplicationLimited;
        public string Name => "fixed";
        public long CongestionWindow => window;
        public double PacingRate => 0;
        public CongestionState State => CongestionState.CongestionAvoidance;
        public void OnPacketSent(Instant now, int bytes, long bytesInFlight) { }
        public void OnAck(Instant now, in AckEvent ack) => LastAckApplicationLimited = ack.IsWindowUnderutilized;
        public void OnCongestionEvent(Instant now, in CongestionEvent congestion) { }
        public void OnSpuriousCongestionEvent(Instant now) { }
        public void OnMaxDatagramSizeChanged(int maxDatagramSize) { }
    }
}
