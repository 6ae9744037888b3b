using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

/// <summary>Loss detection against generated send / ACK / time / timer schedules, checked against a simple model.</summary>
public class LossDetectorPropertyTests
{
    private enum Fate { Outstanding, Acknowledged, Lost, LostThenAcknowledged }

    private sealed class Model
    {
        public readonly Dictionary<long, (int Size, bool AckEliciting, bool InFlight, Fate Fate)> Packets = [];
        public long LargestAcknowledged = -1;

        public void Acked(ReadOnlySpan<SentPacket> packets)
        {
            foreach (var p in packets)
            {
                var m = Packets[p.PacketNumber];
                Assert.True(m.Fate == Fate.Outstanding, $"packet {p.PacketNumber} newly acknowledged but was {m.Fate}");
                Packets[p.PacketNumber] = m with { Fate = Fate.Acknowledged };
            }
        }

        public void Lost(ReadOnlySpan<SentPacket> packets)
        {
            foreach (var p in packets)
            {
                var m = Packets[p.PacketNumber];
                Assert.True(m.Fate == Fate.Outstanding, $"packet {p.PacketNumber} declared lost but was {m.Fate}");
                Assert.True(p.PacketNumber <= LargestAcknowledged, $"packet {p.PacketNumber} lost above largest acknowledged {LargestAcknowledged}");
                Packets[p.PacketNumber] = m with { Fate = Fate.Lost };
            }
        }

        public void Spurious(ReadOnlySpan<SentPacket> packets)
        {
            foreach (var p in packets)
            {
                var m = Packets[p.PacketNumber];
                Assert.True(m.Fate == Fate.Lost, $"packet {p.PacketNumber} reported spuriously lost but was {m.Fate}");
                Packets[p.PacketNumber] = m with { Fate = Fate.LostThenAcknowledged };
            }
        }

        public void Check(LossDetector d)
        {
            long bytes = 0;
            int ackEliciting = 0;
            foreach (var (_, m) in Packets)
            {
                if (m.Fate != Fate.Outstanding) continue;
                if (m.InFlight) bytes += m.Size;
                if (m.AckEliciting) ackEliciting++;
            }
            Assert.Equal(bytes, d.BytesInFlight);
            Assert.Equal(ackEliciting, d.GetAckElicitingInFlight(PacketNumberSpace.ApplicationData));
        }
    }

    private static (long Lost, long Spurious, int Probes) Run(List<int> steps)
    {
        const PacketNumberSpace App = PacketNumberSpace.ApplicationData;
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true);
        d.OnHandshakeConfirmed(Instant.Zero);
        var model = new Model();
        var now = Instant.FromMilliseconds(1);
        long next = 0;
        int probes = 0;

        void Send(bool ackEliciting, bool inFlight, int size)
        {
            d.OnPacketSent(App, next, now, size, ackEliciting, inFlight);
            model.Packets[next] = (size, ackEliciting, inFlight, Fate.Outstanding);
            next++;
        }

        void Ack(AckRange[] ranges, TimeSpan delay)
        {
            var outcome = d.OnAckReceived(App, ranges, delay, now);
            Assert.Equal(ReliableError.None, outcome.Error);
            model.LargestAcknowledged = Math.Max(model.LargestAcknowledged, ranges[0].Largest);
            model.Acked(outcome.NewlyAcknowledged);
            model.Lost(outcome.Lost);
            model.Spurious(outcome.SpuriouslyLost);
        }

        foreach (int x in steps)
        {
            int kind = x % 4, a = x / 4 % 16, b = x / 64 % 16, c = x / 1024 % 8, t = x / 8192 % 50;
            switch (kind)
            {
                case 0:
                    for (int i = 0; i <= a % 4; i++)
                    {
                        bool ackEliciting = (b + i) % 5 != 0;
                        Send(ackEliciting, ackEliciting || c % 2 == 0, 1000 + a * 37 % 500);
                    }
                    break;
                case 1:
                    if (next == 0) break;
                    long top = Math.Max(0, next - 1 - a % 8);
                    var first = new AckRange(Math.Max(0, top - b % 6), top);
                    long secondTop = first.Smallest - 2 - c % 3;
                    AckRange[] ranges = secondTop >= 0
                        ? [first, new AckRange(Math.Max(0, secondTop - b / 2 % 4), secondTop)]
                        : [first];
                    Ack(ranges, TimeSpan.FromMilliseconds(c));
                    break;
                case 2:
                    now += TimeSpan.FromMilliseconds(t * 4);
                    break;
                case 3:
                    if (d.LossDetectionTimer is { } timer)
                    {
                        if (timer > now) now = timer;
                        var outcome = d.OnLossDetectionTimeout(now);
                        model.Lost(outcome.Lost);
                        if (outcome.Kind == LossDetectionTimeoutKind.ProbeTimeout) probes++;
                        if (outcome.Kind == LossDetectionTimeoutKind.ProbeTimeout)
                            for (int i = 0; i < outcome.ProbeCount; i++) Send(true, true, 1200);
                    }
                    break;
            }
            now += TimeSpan.FromMilliseconds(t);
            model.Check(d);
        }

        // Drain: three more ack-eliciting packets, acknowledged; everything older is then lost by packet threshold.
        for (int i = 0; i < 3; i++) Send(true, true, 1200);
        now += TimeSpan.FromMilliseconds(10);
        Ack([new AckRange(next - 3, next - 1)], TimeSpan.Zero);
        model.Check(d);
        foreach (var (pn, m) in model.Packets)
            Assert.True(m.Fate != Fate.Outstanding, $"packet {pn} neither acknowledged nor lost at the end");
        Assert.Equal(0, d.BytesInFlight);
        Assert.Null(d.LossDetectionTimer);
        Assert.Equal(model.Packets.Values.Count(m => m.Fate == Fate.LostThenAcknowledged), d.SpuriousLossCount);
        return (d.LostPacketCount, d.SpuriousLossCount, probes);
    }

    [Fact]
    public void Property_ScheduleKeepsLossDetectionConsistent()
    {
        var arb = Gen.ListOf(Gen.Choose(0, 409_599)).ToArbitrary();
        Prop.ForAll(arb, steps => { Run(steps.ToList()); }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void LongScheduleKeepsLossDetectionConsistent()
    {
        var random = new Random(12345);
        long lost = 0, spurious = 0, probes = 0;
        for (int run = 0; run < 10; run++)
        {
            var steps = new List<int>();
            for (int i = 0; i < 300; i++) steps.Add(random.Next(409_600));
            var stats = Run(steps);
            lost += stats.Lost;
            spurious += stats.Spurious;
            probes += stats.Probes;
        }
        // The schedules exercise every path: losses, late ACKs of lost packets, probe timeouts.
        Assert.True(lost > 0 && spurious > 0 && probes > 0, $"lost {lost}, spurious {spurious}, probes {probes}");
    }
}
