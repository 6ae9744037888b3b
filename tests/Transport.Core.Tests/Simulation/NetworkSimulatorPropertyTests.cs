using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Simulation;
using Transport.Core.Time;
using static Transport.Core.Tests.Simulation.SimulationHarness;

namespace Transport.Core.Tests.Simulation;

/// <summary>Properties of <see cref="NetworkSimulator"/> over generated workloads and link conditions.</summary>
public sealed class NetworkSimulatorPropertyTests
{
    private const int Endpoints = 4;

    private static readonly Gen<SendOp> SendOpGen =
        from gap in Gen.Frequency((3, Gen.Choose(0, 0)), (7, Gen.Choose(1, 3000)))
        from src in Gen.Choose(0, Endpoints - 1)
        from offset in Gen.Choose(1, Endpoints - 1)
        from size in Gen.Choose(4, 1500)
        select new SendOp(gap, src, (src + offset) % Endpoints, size);

    private static Gen<SendOp[]> WorkloadGen(int maxLength) =>
        from n in Gen.Choose(1, maxLength)
        from ops in Gen.ArrayOf(SendOpGen, n)
        select ops;

    private static Gen<double> RateGen(int maxPercent) =>
        Gen.Frequency((1, Gen.Constant(0.0)), (3, Gen.Choose(0, maxPercent * 10).Select(x => x / 1000.0)));

    /// <summary>Any mix of impairments, so that invariants are checked under all of them together.</summary>
    private static readonly Gen<LinkConditions> ConditionsGen =
        from delayMs in Gen.Choose(0, 100)
        from jitterMs in Gen.Choose(0, 20)
        from loss in RateGen(20)
        from useGe in Gen.Elements(false, true)
        from p in Gen.Choose(1, 100)
        from r in Gen.Choose(10, 900)
        from reorder in RateGen(20)
        from reorderMs in Gen.Choose(0, 30)
        from dup in RateGen(20)
        from corrupt in RateGen(20)
        from bandwidth in Gen.Elements(0L, 100_000L, 1_000_000L, 100_000_000L)
        from queuePackets in Gen.Elements(0, 1, 5, 50)
        from queueBytes in Gen.Elements(0L, 3000L, 100_000L)
        from mtu in Gen.Elements(0, 1200, 1500)
        select new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(delayMs),
            Jitter = TimeSpan.FromMilliseconds(jitterMs),
            LossRate = loss,
            GilbertElliott = useGe ? new GilbertElliottModel(p / 1000.0, r / 1000.0) : null,
            ReorderRate = reorder,
            ReorderDelay = TimeSpan.FromMilliseconds(reorderMs),
            DuplicateRate = dup,
            CorruptRate = corrupt,
            BandwidthBitsPerSecond = bandwidth,
            QueueCapacityPackets = queuePackets,
            QueueCapacityBytes = queueBytes,
            Mtu = mtu,
        };

    private static Config Config(int tests) => FsCheck.Config.QuickThrowOnFailure.WithMaxTest(tests);

    [Fact]
    public void Zero_impairment_delivers_every_datagram_exactly_once_in_order_after_the_delay()
    {
        var arb = (from ops in WorkloadGen(300)
                   from delayUs in Gen.Choose(0, 100_000)
                   select (ops, delayUs)).ToArbitrary();
        Check.One(Config(100), Prop.ForAll(arb, input =>
        {
            var (ops, delayUs) = input;
            var delay = TimeSpan.FromMicroseconds(delayUs);
            var sim = new NetworkSimulator(seed: 7) { DefaultConditions = new LinkConditions { Delay = delay } };
            var received = Run(sim, ops, out var sendTimes);

            Assert.Equal(ops.Length, received.Count);
            var seen = new bool[ops.Length];
            var lastIndexPerLink = new Dictionary<(int, int), int>();
            foreach (var r in received)
            {
                int i = r.Index;
                Assert.False(seen[i], $"datagram {i} delivered twice");
                seen[i] = true;
                var op = ops[i];
                Assert.Equal(Payload(i, op.Size), r.Payload);
                Assert.Equal(Endpoint(op.From), r.Source);
                Assert.Equal(Endpoint(op.To), r.Destination);
                Assert.Equal(sendTimes[i], r.SentAt);
                Assert.Equal(sendTimes[i] + delay, r.DeliveredAt);
                var key = (op.From, op.To);
                if (lastIndexPerLink.TryGetValue(key, out int last)) Assert.True(last < i, $"datagram {i} overtook {last}");
                lastIndexPerLink[key] = i;
            }
            var total = sim.GetTotalStatistics();
            Assert.Equal(ops.Length, total.Sent);
            Assert.Equal(ops.Length, total.Delivered);
            Assert.Equal(0, total.Dropped);
            Assert.Equal(0, total.DeliveredOutOfOrder);
        }));
    }

    [Fact]
    public void The_same_seed_and_calls_give_the_same_trace()
    {
        var arb = (from seed in Gen.Choose(int.MinValue, int.MaxValue)
                   from conditions in ConditionsGen
                   from ops in WorkloadGen(300)
                   select (seed, conditions, ops)).ToArbitrary();
        Check.One(Config(60), Prop.ForAll(arb, input =>
        {
            var (seed, conditions, ops) = input;
            string Once()
            {
                var sim = new NetworkSimulator(seed) { DefaultConditions = conditions };
                var trace = Trace(Run(sim, ops, out _));
                return trace + Describe(sim.GetTotalStatistics());
            }
            Assert.Equal(Once(), Once());
        }));
    }

    [Fact]
    public void Every_copy_is_delivered_dropped_or_in_flight_under_any_conditions()
    {
        var arb = (from seed in Gen.Choose(0, 1000)
                   from conditions in ConditionsGen
                   from ops in WorkloadGen(400)
                   select (seed, conditions, ops)).ToArbitrary();
        Check.One(Config(80), Prop.ForAll(arb, input =>
        {
            var (seed, conditions, ops) = input;
            var sim = new NetworkSimulator(seed) { DefaultConditions = conditions };
            var received = new List<Received>();
            var now = Instant.Zero;
            for (int i = 0; i < ops.Length; i++)
            {
                now += TimeSpan.FromMicroseconds(ops[i].GapMicros);
                ReceiveUntil(sim, now, received);
                sim.Send(now, Endpoint(ops[i].From), Endpoint(ops[i].To), Payload(i, ops[i].Size));
                var s = sim.GetTotalStatistics();
                Assert.Equal(s.Sent + s.Duplicated, s.Delivered + s.Dropped + s.InFlight);
                Assert.Equal(sim.InFlightCount, s.InFlight);
            }
            Drain(sim, received);
            var total = sim.GetTotalStatistics();
            Assert.Equal(0, total.InFlight);
            Assert.Equal(0, sim.InFlightCount);
            Assert.Null(sim.NextDeliveryTime);
            Assert.Equal(total.Sent + total.Duplicated, total.Delivered + total.Dropped);
            Assert.Equal(received.Count, total.Delivered);
            // Only datagrams picked for reordering arrive after one sent later on their link.
            Assert.True(total.DeliveredOutOfOrder <= total.Reordered, Describe(total));
            long bytes = 0;
            foreach (var r in received) bytes += r.Payload.Length;
            Assert.Equal(bytes, total.DeliveredBytes);
            // Deliveries come out in time order, and never before they were sent.
            for (int k = 0; k < received.Count; k++)
            {
                Assert.True(received[k].DeliveredAt >= received[k].SentAt);
                if (k > 0) Assert.True(received[k].DeliveredAt >= received[k - 1].DeliveredAt);
            }
            // Every per-link count adds up to the total.
            LinkStatistics sum = default;
            for (int a = 0; a < Endpoints; a++)
                for (int b = 0; b < Endpoints; b++)
                    sum += sim.GetStatistics(Endpoint(a), Endpoint(b));
            Assert.Equal(total, sum);
            if (conditions.Mtu != 0) Assert.All(received, r => Assert.True(r.Payload.Length <= conditions.Mtu));
        }));
    }

    [Fact]
    public void Jitter_never_reorders_a_link_unless_reordering_is_configured()
    {
        var arb = (from seed in Gen.Choose(0, 1000)
                   from jitterMs in Gen.Choose(1, 50)
                   from bandwidth in Gen.Elements(0L, 1_000_000L)
                   from ops in WorkloadGen(300)
                   select (seed, jitterMs, bandwidth, ops)).ToArbitrary();
        Check.One(Config(80), Prop.ForAll(arb, input =>
        {
            var (seed, jitterMs, bandwidth, ops) = input;
            var sim = new NetworkSimulator(seed)
            {
                DefaultConditions = new LinkConditions
                {
                    Delay = TimeSpan.FromMilliseconds(20),
                    Jitter = TimeSpan.FromMilliseconds(jitterMs),
                    BandwidthBitsPerSecond = bandwidth,
                },
            };
            var received = Run(sim, ops, out _);
            Assert.Equal(ops.Length, received.Count);
            var last = new Dictionary<(int, int), int>();
            foreach (var r in received)
            {
                var op = ops[r.Index];
                if (last.TryGetValue((op.From, op.To), out int previous)) Assert.True(previous < r.Index);
                last[(op.From, op.To)] = r.Index;
            }
            Assert.Equal(0, sim.GetTotalStatistics().DeliveredOutOfOrder);
        }));
    }

    [Fact]
    public void A_bottleneck_spaces_deliveries_by_their_serialization_time()
    {
        var arb = (from bandwidth in Gen.Choose(64, 100_000).Select(k => k * 1000L)
                   from delayMs in Gen.Choose(0, 50)
                   from ops in WorkloadGen(300)
                   select (bandwidth, delayMs, ops)).ToArbitrary();
        Check.One(Config(100), Prop.ForAll(arb, input =>
        {
            var (bandwidth, delayMs, ops) = input;
            var delay = TimeSpan.FromMilliseconds(delayMs);
            var sim = new NetworkSimulator(1)
            {
                DefaultConditions = new LinkConditions { Delay = delay, BandwidthBitsPerSecond = bandwidth },
            };
            var received = Run(sim, ops, out var sendTimes);
            Assert.Equal(ops.Length, received.Count);
            var lastDelivery = new Dictionary<(int, int), Instant>();
            foreach (var r in received)
            {
                var op = ops[r.Index];
                var serialization = TimeSpan.FromTicks(NetworkSimulator.SerializationTicks(op.Size, bandwidth));
                // Never earlier than sending, serializing and propagating it alone.
                Assert.True(r.DeliveredAt >= sendTimes[r.Index] + serialization + delay);
                // A bottleneck never delivers two datagrams closer than the second one's serialization time.
                if (lastDelivery.TryGetValue((op.From, op.To), out var previous))
                    Assert.True(r.DeliveredAt - previous >= serialization, $"{r.DeliveredAt} - {previous} < {serialization}");
                lastDelivery[(op.From, op.To)] = r.DeliveredAt;
            }
        }));
    }

    [Fact]
    public void A_blackhole_drops_exactly_the_datagrams_sent_inside_its_windows()
    {
        var windowGen =
            from startMs in Gen.Choose(0, 900)
            from lengthMs in Gen.Choose(0, 200)
            select new BlackholeWindow(Instant.FromMilliseconds(startMs), Instant.FromMilliseconds(startMs + lengthMs));
        var arb = (from windows in Gen.ListOf(windowGen, 3)
                   from count in Gen.Choose(1, 5)
                   from ops in WorkloadGen(400)
                   select (windows.Take(count).ToArray(), ops)).ToArbitrary();
        Check.One(Config(100), Prop.ForAll(arb, input =>
        {
            var (windows, ops) = input;
            var sim = new NetworkSimulator(3)
            {
                DefaultConditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(30), Blackholes = windows },
            };
            var received = Run(sim, ops, out var sendTimes);
            var delivered = new HashSet<int>(received.Select(r => r.Index));
            int expectedDrops = 0;
            for (int i = 0; i < ops.Length; i++)
            {
                bool inside = windows.Any(w => w.Contains(sendTimes[i]));
                if (inside) expectedDrops++;
                Assert.Equal(!inside, delivered.Contains(i));
            }
            Assert.Equal(expectedDrops, sim.GetTotalStatistics().DroppedBlackhole);
        }));
    }

    [Fact]
    public void Mtu_drops_exactly_the_oversize_datagrams()
    {
        var arb = (from mtu in Gen.Choose(4, 1500)
                   from ops in WorkloadGen(300)
                   select (mtu, ops)).ToArbitrary();
        Check.One(Config(100), Prop.ForAll(arb, input =>
        {
            var (mtu, ops) = input;
            var sim = new NetworkSimulator(5) { DefaultConditions = new LinkConditions { Mtu = mtu } };
            var received = Run(sim, ops, out _);
            var delivered = new HashSet<int>(received.Select(r => r.Index));
            for (int i = 0; i < ops.Length; i++) Assert.Equal(ops[i].Size <= mtu, delivered.Contains(i));
            Assert.Equal(ops.Count(o => o.Size > mtu), sim.GetTotalStatistics().DroppedMtu);
        }));
    }
}
