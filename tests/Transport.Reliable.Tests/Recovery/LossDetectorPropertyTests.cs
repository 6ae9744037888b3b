using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Recovery;

namespace Transport.Reliable.Tests.Recovery;

/// <summary>Loss detection against generated send / ACK / time / timer / discard schedules, checked against a simple model.</summary>
public class LossDetectorPropertyTests
{
    private enum Fate { Outstanding, Acknowledged, Lost, LostThenAcknowledged, Discarded }

    private sealed class SpaceModel
    {
        public readonly Dictionary<long, (int Size, bool AckEliciting, bool InFlight, Fate Fate)> Packets = [];
        public long LargestAcknowledged = -1;
        public long Next;
        public bool Discarded;

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

        public void Discard()
        {
            Discarded = true;
            foreach (var pn in Packets.Keys.ToList())
                if (Packets[pn].Fate == Fate.Outstanding) Packets[pn] = Packets[pn] with { Fate = Fate.Discarded };
        }
    }

    private static void Check(SpaceModel[] model, LossDetector d)
    {
        long total = 0;
        for (int s = 0; s < 3; s++)
        {
            long bytes = 0;
            int ackEliciting = 0;
            foreach (var (_, m) in model[s].Packets)
            {
                if (m.Fate != Fate.Outstanding) continue;
                if (m.InFlight) bytes += m.Size;
                if (m.AckEliciting) ackEliciting++;
            }
            Assert.Equal(bytes, d.GetBytesInFlight((PacketNumberSpace)s));
            Assert.Equal(ackEliciting, d.GetAckElicitingInFlight((PacketNumberSpace)s));
            total += bytes;
        }
        Assert.Equal(total, d.BytesInFlight);
    }

    private const int StepsPerSpace = 409_600;

    private static (long Lost, long Spurious, int Probes) Run(List<int> steps, bool multiSpace)
    {
        var cc = new RecordingController();
        var d = new LossDetector(cc, isServer: true);
        d.OnHandshakeConfirmed(Instant.Zero);
        var model = new[] { new SpaceModel(), new SpaceModel(), new SpaceModel() };
        var now = Instant.FromMilliseconds(1);
        int probes = 0;

        void Send(PacketNumberSpace space, bool ackEliciting, bool inFlight, int size)
        {
            var m = model[(int)space];
            if (m.Discarded) return;
            d.OnPacketSent(space, m.Next, now, size, ackEliciting, inFlight);
            m.Packets[m.Next] = (size, ackEliciting, inFlight, Fate.Outstanding);
            m.Next++;
        }

        void Ack(PacketNumberSpace space, AckRange[] ranges, TimeSpan delay)
        {
            var m = model[(int)space];
            var outcome = d.OnAckReceived(space, ranges, delay, now);
            Assert.Equal(ReliableError.None, outcome.Error);
            if (m.Discarded)
            {
                Assert.Equal(0, outcome.NewlyAcknowledged.Length + outcome.Lost.Length + outcome.SpuriouslyLost.Length);
                return;
            }
            m.LargestAcknowledged = Math.Max(m.LargestAcknowledged, ranges[0].Largest);
            m.Acked(outcome.NewlyAcknowledged);
            m.Lost(outcome.Lost);
            m.Spurious(outcome.SpuriouslyLost);
        }

        foreach (int x in steps)
        {
            var space = multiSpace ? (PacketNumberSpace)(x / StepsPerSpace % 3) : PacketNumberSpace.ApplicationData;
            var sm = model[(int)space];
            int y = x % StepsPerSpace;
            int kind = y % 4, a = y / 4 % 16, b = y / 64 % 16, c = y / 1024 % 8, t = y / 8192 % 50;
            switch (kind)
            {
                case 0:
                    for (int i = 0; i <= a % 4; i++)
                    {
                        bool ackEliciting = (b + i) % 5 != 0;
                        Send(space, ackEliciting, ackEliciting || c % 2 == 0, 1000 + a * 37 % 500);
                    }
                    break;
                case 1:
                    if (sm.Next == 0) break;
                    long top = Math.Max(0, sm.Next - 1 - a % 8);
                    var first = new AckRange(Math.Max(0, top - b % 6), top);
                    long secondTop = first.Smallest - 2 - c % 3;
                    AckRange[] ranges = secondTop >= 0
                        ? [first, new AckRange(Math.Max(0, secondTop - b / 2 % 4), secondTop)]
                        : [first];
                    Ack(space, ranges, TimeSpan.FromMilliseconds(c));
                    break;
                case 2:
                    if (multiSpace && c == 7 && space != PacketNumberSpace.ApplicationData)
                    {
                        d.DiscardSpace(space, now);
                        sm.Discard();
                    }
                    else
                    {
                        now += TimeSpan.FromMilliseconds(t * 4);
                    }
                    break;
                case 3:
                    if (d.LossDetectionTimer is { } timer)
                    {
                        if (timer > now) now = timer;
                        var outcome = d.OnLossDetectionTimeout(now);
                        if (outcome.Kind == LossDetectionTimeoutKind.LossTime) model[(int)outcome.Space].Lost(outcome.Lost);
                        else Assert.Equal(0, outcome.Lost.Length);
                        if (outcome.Kind == LossDetectionTimeoutKind.ProbeTimeout)
                        {
                            probes++;
                            Assert.False(model[(int)outcome.Space].Discarded);
                            for (int i = 0; i < outcome.ProbeCount; i++) Send(outcome.Space, true, true, 1200);
                        }
                    }
                    break;
            }
            now += TimeSpan.FromMilliseconds(t);
            Check(model, d);
        }

        // Drain: in each live space three more ack-eliciting packets, acknowledged; everything older is then lost by the
        // packet threshold.
        now += TimeSpan.FromMilliseconds(1);
        for (int s = 0; s < 3; s++)
        {
            var space = (PacketNumberSpace)s;
            var m = model[s];
            if (m.Discarded) continue;
            for (int i = 0; i < 3; i++) Send(space, true, true, 1200);
            Ack(space, [new AckRange(m.Next - 3, m.Next - 1)], TimeSpan.Zero);
            Check(model, d);
        }
        foreach (var m in model)
            foreach (var (pn, p) in m.Packets)
                Assert.True(p.Fate != Fate.Outstanding, $"packet {pn} neither acknowledged, lost nor discarded at the end");
        Assert.Equal(0, d.BytesInFlight);
        Assert.Null(d.LossDetectionTimer);
        Assert.Equal(model.Sum(m => m.Packets.Values.Count(p => p.Fate == Fate.LostThenAcknowledged)), d.SpuriousLossCount);
        return (d.LostPacketCount, d.SpuriousLossCount, probes);
    }

    [Fact]
    public void Property_ScheduleKeepsLossDetectionConsistent()
    {
        var arb = Gen.ListOf(Gen.Choose(0, StepsPerSpace - 1)).ToArbitrary();
        Prop.ForAll(arb, steps => { Run(steps.ToList(), multiSpace: false); }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Property_MultiSpaceScheduleWithDiscardsKeepsLossDetectionConsistent()
    {
        var arb = Gen.ListOf(Gen.Choose(0, 3 * StepsPerSpace - 1)).ToArbitrary();
        Prop.ForAll(arb, steps => { Run(steps.ToList(), multiSpace: true); }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void LongScheduleKeepsLossDetectionConsistent()
    {
        var random = new Random(12345);
        long lost = 0, spurious = 0, probes = 0;
        for (int run = 0; run < 10; run++)
        {
            var steps = new List<int>();
            for (int i = 0; i < 300; i++) steps.Add(random.Next(3 * StepsPerSpace));
            var stats = Run(steps, multiSpace: run % 2 == 0);
            lost += stats.Lost;
            spurious += stats.Spurious;
            probes += stats.Probes;
        }
        // The schedules exercise every path: losses, late ACKs of lost packets, probe timeouts.
        Assert.True(lost > 0 && spurious > 0 && probes > 0, $"lost {lost}, spurious {spurious}, probes {probes}");
    }
}
