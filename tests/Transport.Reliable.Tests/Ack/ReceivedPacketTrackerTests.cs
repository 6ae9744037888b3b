using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.Ack;

namespace Transport.Reliable.Tests.Ack;

public class ReceivedPacketTrackerTests
{
    private static readonly TimeSpan MaxAckDelay = TimeSpan.FromMilliseconds(25);
    private static Instant Ms(long ms) => Instant.FromMilliseconds(ms);

    private static ReceivedPacketTracker App() => new(PacketNumberSpace.ApplicationData, MaxAckDelay);

    [Fact]
    public void SingleAckElicitingPacketIsAckedWithinMaxAckDelay()
    {
        // RFC 9000 §13.2.1: delay at most max_ack_delay.
        var t = App();
        Assert.Null(t.AckDeadline);
        Assert.True(t.OnPacketReceived(0, isAckEliciting: true, Ms(100)));
        Assert.Equal(Ms(125), t.AckDeadline);
        Assert.False(t.IsAckDue(Ms(124)));
        Assert.True(t.IsAckDue(Ms(125)));
    }

    [Fact]
    public void EverySecondAckElicitingPacketIsAckedImmediately()
    {
        // RFC 9000 §13.2.2.
        var t = App();
        t.OnPacketReceived(0, true, Ms(100));
        t.OnPacketReceived(1, true, Ms(110));
        Assert.Equal(Ms(110), t.AckDeadline);
        Assert.True(t.IsAckDue(Ms(110)));
        t.OnAckSent();
        Assert.Null(t.AckDeadline);
        t.OnPacketReceived(2, true, Ms(120));
        Assert.Equal(Ms(145), t.AckDeadline);
    }

    [Fact]
    public void NonAckElicitingPacketsNeverMakeAnAckDue()
    {
        // RFC 9000 §13.2.1: non-ack-eliciting packets are acknowledged only along with other frames.
        var t = App();
        for (long pn = 0; pn < 10; pn++) t.OnPacketReceived(pn, isAckEliciting: false, Ms(pn));
        Assert.Null(t.AckDeadline);
        Assert.True(t.HasNewPackets);
        t.OnPacketReceived(15, isAckEliciting: false, Ms(20)); // even with a gap
        Assert.Null(t.AckDeadline);
    }

    [Fact]
    public void PacketBelowALargerAckElicitingOneIsAckedImmediately()
    {
        // RFC 9000 §13.2.1: "packet number less than another ack-eliciting packet that has been received".
        var t = App();
        t.OnPacketReceived(5, true, Ms(100));
        t.OnAckSent();
        t.OnPacketReceived(3, true, Ms(101));
        Assert.Equal(Ms(101), t.AckDeadline);
    }

    [Fact]
    public void PacketRevealingAGapIsAckedImmediately()
    {
        // RFC 9000 §13.2.1: larger than the largest ack-eliciting packet with missing packets in between.
        var t = App();
        t.OnPacketReceived(0, true, Ms(100));
        t.OnAckSent();
        t.OnPacketReceived(2, true, Ms(101));
        Assert.Equal(Ms(101), t.AckDeadline);
    }

    [Fact]
    public void NoGapWhenInBetweenPacketsWereNonAckEliciting()
    {
        var t = App();
        t.OnPacketReceived(0, true, Ms(100));
        t.OnAckSent();
        t.OnPacketReceived(1, false, Ms(101));
        t.OnPacketReceived(2, true, Ms(102));
        Assert.Equal(Ms(127), t.AckDeadline);
    }

    [Theory]
    [InlineData(PacketNumberSpace.Initial)]
    [InlineData(PacketNumberSpace.Handshake)]
    public void InitialAndHandshakeAreAckedImmediately(PacketNumberSpace space)
    {
        // RFC 9000 §13.2.1.
        var t = new ReceivedPacketTracker(space, MaxAckDelay);
        t.OnPacketReceived(0, true, Ms(100));
        Assert.Equal(Ms(100), t.AckDeadline);
    }

    [Fact]
    public void DuplicatesAreDetectedAndNotRecorded()
    {
        var t = App();
        Assert.True(t.OnPacketReceived(3, true, Ms(1)));
        t.OnAckSent();
        Assert.True(t.IsDuplicate(3));
        Assert.False(t.OnPacketReceived(3, true, Ms(2)));
        Assert.Null(t.AckDeadline); // a duplicate does not make an ACK due
        Assert.False(t.IsDuplicate(2));
    }

    [Fact]
    public void AckDelayIsMeasuredFromTheLargestPacket()
    {
        // RFC 9000 §13.2.5.
        var t = App();
        t.OnPacketReceived(0, true, Ms(100));
        t.OnPacketReceived(4, true, Ms(110));
        t.OnPacketReceived(2, true, Ms(115)); // not the largest: does not move the reference
        Assert.Equal(4, t.LargestReceived);
        Assert.Equal(TimeSpan.FromMilliseconds(20), t.GetAckDelay(Ms(130)));
    }

    [Fact]
    public void AcknowledgedAckLimitsRangesAndOlderPacketsBecomeDuplicates()
    {
        // RFC 9000 §13.2.4: once our ACK with Largest Acknowledged 5 is acknowledged, stop reporting up to 5.
        var t = App();
        foreach (long pn in new long[] { 0, 1, 2, 4, 5 }) t.OnPacketReceived(pn, true, Ms(pn));
        t.OnAckSent();
        t.OnPacketReceived(7, true, Ms(10));
        t.OnAckFrameAcknowledged(5);
        Assert.Equal(1, t.Ranges.Count);
        Assert.Equal(new AckRange(7, 7), t.Ranges[0]);
        Assert.True(t.IsDuplicate(3)); // never received, but below the floor now
        Assert.False(t.OnPacketReceived(3, true, Ms(11)));
        Assert.True(t.OnPacketReceived(6, true, Ms(12)));
        Assert.Equal(new AckRange(6, 7), t.Ranges[0]);
    }

    [Fact]
    public void EcnCeMarkedPacketIsAckedImmediately()
    {
        var t = App();
        t.OnPacketReceived(0, true, Ms(100), isEcnCe: true);
        Assert.Equal(Ms(100), t.AckDeadline);
    }

    [Fact]
    public void ForgottenPacketNumbersAreNoGap()
    {
        var t = App();
        t.OnPacketReceived(0, true, Ms(1));
        t.OnPacketReceived(1, false, Ms(2));
        t.OnAckSent();
        t.OnAckFrameAcknowledged(1);
        t.OnPacketReceived(2, true, Ms(3)); // 1 is below the floor now, but was received: no gap
        Assert.Equal(Ms(28), t.AckDeadline);
    }

    [Fact]
    public void ConfigurableThreshold()
    {
        var t = new ReceivedPacketTracker(PacketNumberSpace.ApplicationData, MaxAckDelay, ackElicitingThreshold: 10);
        for (long pn = 0; pn < 9; pn++) t.OnPacketReceived(pn, true, Ms(100 + pn));
        Assert.Equal(Ms(125), t.AckDeadline); // deadline from the first, not pushed back
        t.OnPacketReceived(9, true, Ms(120));
        Assert.Equal(Ms(120), t.AckDeadline);
    }
}

public class ReceivedPacketTrackerPropertyTests
{
    private static readonly TimeSpan MaxAckDelay = TimeSpan.FromMilliseconds(25);

    [Fact]
    public void Property_AckDeadlineFollowsTheRfcRules()
    {
        // Each step: a packet number offset from the largest so far, ack-eliciting or not, a time step, maybe an ACK sent.
        var arb = Gen.ListOf(Gen.Choose(0, 99_999)).ToArbitrary();
        Prop.ForAll(arb, steps =>
        {
            var t = new ReceivedPacketTracker(PacketNumberSpace.ApplicationData, MaxAckDelay);
            var received = new SortedSet<long>();
            var now = Instant.FromMilliseconds(1);
            long largestAckEliciting = -1;
            int elicitingSinceAck = 0;
            Instant? firstUnackedEliciting = null;
            foreach (int x in steps)
            {
                long pn = Math.Max(0, (received.Count == 0 ? 0 : received.Max) + x % 7 - 3);
                bool eliciting = x / 7 % 3 != 0;
                now += TimeSpan.FromMilliseconds(x / 21 % 10);
                bool fresh = !received.Contains(pn);
                bool gapBefore = largestAckEliciting >= 0 && (pn < largestAckEliciting
                    || Enumerable.Range(1, (int)Math.Max(0, pn - largestAckEliciting - 1)).Any(k => !received.Contains(largestAckEliciting + k)));
                var before = t.AckDeadline;

                Assert.Equal(fresh, t.OnPacketReceived(pn, eliciting, now));
                if (!fresh) { Assert.Equal(before, t.AckDeadline); continue; }
                received.Add(pn);
                if (eliciting)
                {
                    elicitingSinceAck++;
                    firstUnackedEliciting ??= now;
                    largestAckEliciting = Math.Max(largestAckEliciting, pn);
                    bool immediate = gapBefore || elicitingSinceAck >= 2;
                    // Due now when a rule says so, else at most max_ack_delay after the first unacknowledged one.
                    Assert.NotNull(t.AckDeadline);
                    if (immediate) Assert.True(t.AckDeadline <= now);
                    else Assert.Equal(firstUnackedEliciting.Value + MaxAckDelay, t.AckDeadline);
                }
                else
                {
                    Assert.Equal(before, t.AckDeadline);
                }
                Assert.Equal(received.Max, t.LargestReceived);
                if (x / 210 % 4 == 0)
                {
                    t.OnAckSent();
                    elicitingSinceAck = 0;
                    firstUnackedEliciting = null;
                    Assert.Null(t.AckDeadline);
                }
            }
            // The ranges report exactly what was received.
            foreach (long pn in received) Assert.True(t.Ranges.Contains(pn));
            long total = 0;
            foreach (var r in t.Ranges) total += r.Count;
            Assert.Equal(received.Count, total);
        }).QuickCheckThrowOnFailure();
    }
}
