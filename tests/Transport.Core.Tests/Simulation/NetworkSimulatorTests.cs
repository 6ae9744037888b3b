using System.Net;
using System.Numerics;
using Transport.Core.Simulation;
using Transport.Core.Time;
using static Transport.Core.Tests.Simulation.SimulationHarness;

namespace Transport.Core.Tests.Simulation;

/// <summary>Facts about each impairment of <see cref="NetworkSimulator"/>.</summary>
public sealed class NetworkSimulatorTests
{
    private static readonly IPEndPoint A = Endpoint(0);
    private static readonly IPEndPoint B = Endpoint(1);
    private static readonly IPEndPoint C = Endpoint(2);

    /// <summary>Sends <paramref name="count"/> datagrams A to B, one every <paramref name="spacing"/>, receiving as it goes.</summary>
    private static List<Received> Stream(NetworkSimulator sim, int count, TimeSpan spacing, int size = 100)
    {
        var received = new List<Received>();
        var payload = new byte[size];
        var now = Instant.Zero;
        for (int i = 0; i < count; i++)
        {
            ReceiveUntil(sim, now, received);
            FillPayload(i, payload);
            sim.Send(now, A, B, payload);
            now += spacing;
        }
        Drain(sim, received);
        return received;
    }

    [Fact]
    public void Different_seeds_give_different_traces()
    {
        var conditions = new LinkConditions { LossRate = 0.1, Jitter = TimeSpan.FromMilliseconds(5), Delay = TimeSpan.FromMilliseconds(10) };
        string Run(int seed)
        {
            var sim = new NetworkSimulator(seed);
            sim.SetLink(A, B, conditions);
            return Trace(Stream(sim, 1000, TimeSpan.FromMilliseconds(1)));
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Traffic_on_one_link_does_not_change_the_fate_of_datagrams_on_another()
    {
        var lossy = new LinkConditions { LossRate = 0.2, Jitter = TimeSpan.FromMilliseconds(3), DuplicateRate = 0.05 };
        List<Received> Run(bool withCrossTraffic)
        {
            var sim = new NetworkSimulator(42) { DefaultConditions = lossy };
            var received = new List<Received>();
            var now = Instant.Zero;
            for (int i = 0; i < 2000; i++)
            {
                ReceiveUntil(sim, now, received);
                sim.Send(now, A, B, Payload(i, 50));
                if (withCrossTraffic) sim.Send(now, A, C, Payload(-i, 50));
                now += TimeSpan.FromMilliseconds(1);
            }
            Drain(sim, received);
            return received.Where(r => r.Destination.Equals(B)).ToList();
        }
        Assert.Equal(Trace(Run(false)), Trace(Run(true)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Observed_random_loss_converges_to_the_configured_rate(int seed)
    {
        const int count = 100_000;
        var sim = new NetworkSimulator(seed);
        sim.SetLink(A, B, new LinkConditions { LossRate = 0.05 });
        var received = Stream(sim, count, TimeSpan.FromMicroseconds(10), size: 20);
        var stats = sim.GetStatistics(A, B);
        double observed = (double)stats.DroppedLoss / count;
        // Binomial standard deviation is 0.00069: 0.005 is over 7 of them.
        Assert.InRange(observed, 0.045, 0.055);
        Assert.Equal(count - stats.DroppedLoss, received.Count);
        Assert.Equal(received.Count, stats.Delivered);
        Assert.Equal(0, stats.DroppedBurstLoss);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Gilbert_Elliott_gives_the_configured_mean_loss_and_burst_length(int seed)
    {
        const int count = 200_000;
        var model = new GilbertElliottModel(goodToBad: 0.01, badToGood: 0.25); // mean loss 0.01/0.26, bursts of 4
        Assert.Equal(0.01 / 0.26, model.MeanLossRate, 12);
        Assert.Equal(4.0, model.MeanBadStateLength, 12);
        var sim = new NetworkSimulator(seed);
        sim.SetLink(A, B, new LinkConditions { GilbertElliott = model });
        var (lossRate, meanBurst) = LossPattern(sim, count);
        Assert.InRange(lossRate, model.MeanLossRate * 0.85, model.MeanLossRate * 1.15);
        Assert.InRange(meanBurst, 3.6, 4.4); // about 1,900 bursts: the mean's standard deviation is 0.08
        Assert.Equal((long)Math.Round(lossRate * count), sim.GetStatistics(A, B).DroppedBurstLoss);

        // The same mean loss without bursts: losses come alone.
        var bernoulli = new NetworkSimulator(seed);
        bernoulli.SetLink(A, B, new LinkConditions { LossRate = model.MeanLossRate });
        var (_, bernoulliBurst) = LossPattern(bernoulli, count);
        Assert.InRange(bernoulliBurst, 1.0, 1.1);
    }

    /// <summary>Sends <paramref name="count"/> datagrams on a zero-delay link and measures loss rate and mean loss-run length.</summary>
    private static (double LossRate, double MeanBurst) LossPattern(NetworkSimulator sim, int count)
    {
        var payload = new byte[8];
        long lost = 0, bursts = 0;
        bool previousLost = false;
        var now = Instant.Zero;
        for (int i = 0; i < count; i++)
        {
            FillPayload(i, payload);
            sim.Send(now, A, B, payload);
            bool isLost = !sim.TryReceive(now, out _);
            if (isLost)
            {
                lost++;
                if (!previousLost) bursts++;
            }
            previousLost = isLost;
            now += TimeSpan.FromMicroseconds(1);
        }
        return ((double)lost / count, (double)lost / bursts);
    }

    [Fact]
    public void Gilbert_Elliott_with_partial_loss_in_each_state_has_the_stationary_mean()
    {
        var model = new GilbertElliottModel(goodToBad: 0.05, badToGood: 0.2, lossInBad: 0.5, lossInGood: 0.01);
        Assert.Equal(0.2 * 0.5 + 0.8 * 0.01, model.MeanLossRate, 12);
        var sim = new NetworkSimulator(9);
        sim.SetLink(A, B, new LinkConditions { GilbertElliott = model });
        var (lossRate, _) = LossPattern(sim, 200_000);
        Assert.InRange(lossRate, model.MeanLossRate * 0.9, model.MeanLossRate * 1.1);
    }

    [Fact]
    public void A_saturated_bottleneck_delivers_at_its_bandwidth_and_never_more()
    {
        const long bandwidth = 10_000_000; // 1.25 MB/s
        const int size = 1200;
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(25),
            BandwidthBitsPerSecond = bandwidth,
            QueueCapacityPackets = 100,
        });
        // Offer 20 Mbit/s for 6 s: twice what the link carries.
        var received = Stream(sim, 12_500, TimeSpan.FromMicroseconds(480), size);
        var perSecond = new long[8];
        foreach (var r in received) perSecond[r.DeliveredAt.Ticks / TimeSpan.TicksPerSecond] += r.Payload.Length;
        foreach (long bytes in perSecond) Assert.True(bytes <= bandwidth / 8 + size, $"{bytes} bytes in one second");
        for (int s = 1; s < 5; s++) Assert.InRange(perSecond[s], bandwidth / 8 - 2 * size, bandwidth / 8 + size);
        var stats = sim.GetStatistics(A, B);
        Assert.True(stats.DroppedQueueFull > 5000, Describe(stats));
        Assert.Equal(stats.Sent, stats.Delivered + stats.DroppedQueueFull);
    }

    [Fact]
    public void A_full_queue_drops_the_tail_and_queueing_delay_builds_up()
    {
        // 1,000-byte datagrams on 1 Mbit/s take 8 ms each; the queue holds 10 (the one on the wire included).
        var sim = new NetworkSimulator(1);
        var delay = TimeSpan.FromMilliseconds(30);
        sim.SetLink(A, B, new LinkConditions { Delay = delay, BandwidthBitsPerSecond = 1_000_000, QueueCapacityPackets = 10 });
        var payload = new byte[1000];
        for (int i = 0; i < 100; i++)
        {
            FillPayload(i, payload);
            sim.Send(Instant.Zero, A, B, payload);
        }
        Assert.Equal(90, sim.GetStatistics(A, B).DroppedQueueFull);

        // At 40 ms five have left the queue: five more fit, the rest are dropped.
        var received = new List<Received>();
        ReceiveUntil(sim, Instant.FromMilliseconds(40), received);
        for (int i = 100; i < 110; i++)
        {
            FillPayload(i, payload);
            sim.Send(Instant.FromMilliseconds(40), A, B, payload);
        }
        Drain(sim, received);
        var stats = sim.GetStatistics(A, B);
        Assert.Equal(95, stats.DroppedQueueFull);
        Assert.Equal(15, stats.Delivered);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104], received.Select(r => r.Index));
        // Bufferbloat: the k-th datagram waited for the k-1 before it.
        for (int k = 0; k < 15; k++)
            Assert.Equal(Instant.FromMilliseconds(8 * (k + 1)) + delay, received[k].DeliveredAt);
    }

    [Fact]
    public void A_byte_limited_queue_drops_what_does_not_fit()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions { BandwidthBitsPerSecond = 1_000_000, QueueCapacityBytes = 5000 });
        sim.Send(Instant.Zero, A, B, new byte[6000]); // larger than the whole queue
        for (int i = 0; i < 10; i++) sim.Send(Instant.Zero, A, B, new byte[1000]);
        sim.Send(Instant.Zero, A, B, new byte[0]); // an empty datagram still fits
        var stats = sim.GetStatistics(A, B);
        Assert.Equal(6, stats.DroppedQueueFull);
        Assert.Equal(6, stats.InFlight);
        var received = new List<Received>();
        Drain(sim, received);
        Assert.Equal([1000, 1000, 1000, 1000, 1000, 0], received.Select(r => r.Payload.Length));
    }

    [Fact]
    public void Mtu_passes_a_datagram_of_exactly_the_mtu_and_drops_one_byte_more()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions { Mtu = 1200 });
        sim.Send(Instant.Zero, A, B, new byte[1200]);
        sim.Send(Instant.Zero, A, B, new byte[1201]);
        Assert.True(sim.TryReceive(Instant.Zero, out var d));
        Assert.Equal(1200, d.Payload.Length);
        Assert.False(sim.TryReceive(Instant.Zero, out _));
        Assert.Equal(1, sim.GetStatistics(A, B).DroppedMtu);
        // The other direction is not limited.
        sim.Send(Instant.Zero, B, A, new byte[1500]);
        Assert.True(sim.TryReceive(Instant.Zero, out _));
    }

    [Fact]
    public void A_blackhole_window_drops_everything_in_it_and_nothing_outside()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(50),
            Blackholes = [new(Instant.FromMilliseconds(100), Instant.FromMilliseconds(200)), new(Instant.FromMilliseconds(500), Instant.FromMilliseconds(600))],
        });
        var received = Stream(sim, 1000, TimeSpan.FromMilliseconds(1));
        Assert.Equal(800, received.Count);
        Assert.All(received, r => Assert.False(r.Index is >= 100 and < 200 or >= 500 and < 600));
        Assert.Equal(200, sim.GetStatistics(A, B).DroppedBlackhole);
        // Sent at 99 ms, arriving inside the window: delivered.
        Assert.Contains(received, r => r.Index == 99 && r.DeliveredAt == Instant.FromMilliseconds(149));
    }

    [Fact]
    public void Rebinding_changes_the_source_the_receiver_sees_and_replies_to_old_addresses_are_dropped()
    {
        var a1 = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40001);
        var a2 = new IPEndPoint(IPAddress.Parse("203.0.113.2"), 40002);
        var delay = TimeSpan.FromMilliseconds(20);
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions
        {
            Delay = delay,
            Rebinds = [new(Instant.FromMilliseconds(200), a2), new(Instant.FromMilliseconds(100), a1)], // any order
        });
        sim.SetLink(B, A, new LinkConditions { Delay = delay });

        var received = Stream(sim, 300, TimeSpan.FromMilliseconds(1));
        Assert.Equal(300, received.Count);
        foreach (var r in received)
        {
            var expected = r.Index < 100 ? A : r.Index < 200 ? a1 : a2;
            Assert.Equal(expected, r.Source);
            Assert.Equal(B, r.Destination);
        }

        // Replies, at 400 ms (the current mapping is a2), to each address A has had.
        var t = Instant.FromMilliseconds(400);
        sim.Send(t, B, A, Payload(1, 10));
        sim.Send(t, B, a1, Payload(2, 10));
        sim.Send(t, B, a2, Payload(3, 10));
        var replies = new List<Received>();
        Drain(sim, replies);
        var reply = Assert.Single(replies);
        Assert.Equal(3, reply.Index);
        Assert.Equal(A, reply.Destination); // the NAT hands it to A's real address
        Assert.Equal(B, reply.Source);
        Assert.Equal(t + delay, reply.DeliveredAt);
        var back = sim.GetStatistics(B, A);
        Assert.Equal(2, back.DroppedStaleAddress);
        Assert.Equal(3, back.Sent);
    }

    [Fact]
    public void A_reply_in_flight_when_the_mapping_changes_is_dropped()
    {
        var a1 = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40001);
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions { Rebinds = [new(Instant.FromMilliseconds(100), a1)] });
        sim.SetLink(B, A, new LinkConditions { Delay = TimeSpan.FromMilliseconds(20) });
        sim.Send(Instant.FromMilliseconds(70), B, A, Payload(1, 10)); // arrives at 90: still mapped
        sim.Send(Instant.FromMilliseconds(90), B, A, Payload(2, 10)); // arrives at 110: mapping gone
        sim.Send(Instant.FromMilliseconds(90), B, a1, Payload(3, 10)); // arrives at 110: mapping now current
        var received = new List<Received>();
        Drain(sim, received);
        Assert.Equal([1, 3], received.Select(r => r.Index));
        Assert.Equal(1, sim.GetStatistics(B, A).DroppedStaleAddress);
    }

    [Fact]
    public void Duplication_and_corruption_are_counted_and_do_what_they_say()
    {
        const int count = 50_000;
        var sim = new NetworkSimulator(11);
        sim.SetLink(A, B, new LinkConditions { DuplicateRate = 0.05, CorruptRate = 0.05 });
        var copies = new int[count];
        long corruptedCopies = 0;
        var payload = new byte[64];
        var now = Instant.Zero;
        for (int i = 0; i < count; i++)
        {
            FillPayload(i, payload);
            sim.Send(now, A, B, payload);
            while (sim.TryReceive(now, out var d))
            {
                copies[i]++;
                int differingBits = 0;
                var got = d.Payload.Span;
                for (int j = 0; j < payload.Length; j++) differingBits += BitOperations.PopCount((uint)(got[j] ^ payload[j]));
                Assert.InRange(differingBits, 0, 1); // corruption flips one bit
                corruptedCopies += differingBits;
            }
            now += TimeSpan.FromMicroseconds(5);
        }
        var stats = sim.GetStatistics(A, B);
        Assert.All(copies, c => Assert.InRange(c, 1, 2));
        Assert.Equal(stats.Duplicated, copies.Count(c => c == 2));
        Assert.Equal(count + stats.Duplicated, stats.Delivered);
        Assert.InRange(stats.Duplicated, 2200, 2800); // 5 % of 50,000, standard deviation 49
        Assert.Equal(stats.Corrupted, corruptedCopies);
        Assert.InRange(stats.Corrupted, (count + stats.Duplicated) * 0.045, (count + stats.Duplicated) * 0.055);
    }

    [Fact]
    public void Reordering_holds_back_the_configured_share_and_later_datagrams_overtake_it()
    {
        var sim = new NetworkSimulator(5);
        sim.SetLink(A, B, new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(10),
            ReorderRate = 0.1,
            ReorderDelay = TimeSpan.FromMilliseconds(5),
        });
        var received = Stream(sim, 10_000, TimeSpan.FromMilliseconds(1));
        Assert.Equal(10_000, received.Count);
        var stats = sim.GetStatistics(A, B);
        Assert.InRange(stats.Reordered, 850, 1150);
        Assert.InRange(stats.DeliveredOutOfOrder, stats.Reordered * 95 / 100, stats.Reordered);
        int inversions = 0;
        for (int k = 1; k < received.Count; k++) if (received[k].Index < received[k - 1].Index) inversions++;
        Assert.True(inversions > 0);
        // Those held back arrive exactly the reorder delay late.
        Assert.All(received, r => Assert.True(
            r.DeliveredAt - r.SentAt == TimeSpan.FromMilliseconds(10) || r.DeliveredAt - r.SentAt == TimeSpan.FromMilliseconds(15)));
    }

    [Fact]
    public void Jitter_spreads_delays_within_the_configured_range()
    {
        var sim = new NetworkSimulator(5);
        sim.SetLink(A, B, new LinkConditions { Delay = TimeSpan.FromMilliseconds(50), Jitter = TimeSpan.FromMilliseconds(10) });
        // Sent 100 ms apart, so the FIFO rule never holds one back.
        var received = Stream(sim, 2000, TimeSpan.FromMilliseconds(100));
        var delays = received.Select(r => (r.DeliveredAt - r.SentAt).TotalMilliseconds).ToArray();
        Assert.All(delays, d => Assert.InRange(d, 40, 60));
        Assert.InRange(delays.Average(), 49.5, 50.5);
        Assert.True(delays.Min() < 41 && delays.Max() > 59);
    }

    [Fact]
    public void DeliverDue_hands_datagrams_to_a_sink_that_can_reply()
    {
        var sim = new NetworkSimulator(1) { DefaultConditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) } };
        var echo = new EchoSink(sim);
        sim.Send(Instant.Zero, A, B, Payload(0, 16));
        var clock = new VirtualClock();
        while (sim.NextDeliveryTime is { } next && next <= Instant.FromMilliseconds(95))
        {
            clock.AdvanceTo(next);
            sim.DeliverDue(clock.Now, echo);
        }
        // Bounces at 10, 20, ..., 90 ms, each reply sent from inside the callback.
        Assert.Equal(9, echo.Count);
        Assert.Equal(Instant.FromMilliseconds(100), sim.NextDeliveryTime);
    }

    private sealed class EchoSink(NetworkSimulator sim) : IDatagramSink
    {
        public int Count { get; private set; }

        public void OnDatagram(in SimulatedDatagram datagram)
        {
            Count++;
            sim.Send(datagram.DeliveredAt, datagram.Destination, datagram.Source, datagram.Payload.Span);
        }
    }

    [Fact]
    public void The_payload_span_stays_intact_until_the_next_receive()
    {
        var sim = new NetworkSimulator(1);
        sim.Send(Instant.Zero, A, B, Payload(1, 100));
        sim.Send(Instant.Zero, A, B, Payload(2, 100));
        Assert.True(sim.TryReceive(Instant.Zero, out var first));
        var firstCopy = first.Payload.ToArray();
        sim.Send(Instant.Zero, A, B, Payload(3, 100)); // sending must not reuse the buffer being read
        Assert.Equal(firstCopy, first.Payload.ToArray());
        Assert.Equal(Payload(1, 100), firstCopy);
    }

    [Fact]
    public void Changing_the_default_updates_links_that_use_it_but_not_configured_ones()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, C, new LinkConditions { Delay = TimeSpan.FromMilliseconds(7) });
        sim.Send(Instant.Zero, A, B, Payload(0, 8)); // creates A->B with the old default
        sim.DefaultConditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(3) };
        Assert.Equal(TimeSpan.FromMilliseconds(3), sim.GetLink(A, B).Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(7), sim.GetLink(A, C).Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(3), sim.GetLink(C, A).Delay); // never used: the default
    }

    [Fact]
    public void Bad_arguments_throw_with_a_message_naming_the_problem()
    {
        var sim = new NetworkSimulator(1);
        Assert.Contains("LossRate", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions { LossRate = 1.5 })).Message);
        Assert.Contains("LossRate", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions { LossRate = double.NaN })).Message);
        Assert.Contains("Delay", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions { Delay = TimeSpan.FromTicks(-1) })).Message);
        Assert.Contains("GoodToBad", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions { GilbertElliott = new(-0.1, 0.5) })).Message);
        Assert.Contains("Bandwidth", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions { BandwidthBitsPerSecond = -1 })).Message);
        Assert.Contains("Blackhole", Assert.Throws<ArgumentException>(() => sim.SetLink(A, B, new LinkConditions
        {
            Blackholes = [new(Instant.FromMilliseconds(5), Instant.FromMilliseconds(4))],
        })).Message);
        Assert.Contains("Rebinds", Assert.Throws<ArgumentException>(() => sim.DefaultConditions = new LinkConditions
        {
            Rebinds = [new(Instant.Zero, C)],
        }).Message);
        // One address cannot be the mapping of two senders as seen by the same receiver.
        sim.SetLink(A, B, new LinkConditions { Rebinds = [new(Instant.FromMilliseconds(1), C)] });
        Assert.Throws<ArgumentException>(() => sim.SetLink(Endpoint(3), B, new LinkConditions { Rebinds = [new(Instant.FromMilliseconds(1), C)] }));

        sim.Send(Instant.FromMilliseconds(10), A, B, new byte[1]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => sim.Send(Instant.FromMilliseconds(9), A, B, new byte[1]));
        Assert.Contains("Time went back", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.TryReceive(Instant.FromMilliseconds(9), out _));
        Assert.Throws<ArgumentNullException>(() => sim.Send(Instant.FromMilliseconds(10), A, null!, new byte[1]));
    }

    [Fact]
    public void Reconfiguring_a_rebinding_link_replaces_its_mappings()
    {
        var a1 = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40001);
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions { Rebinds = [new(Instant.FromMilliseconds(1), a1)] });
        sim.SetLink(A, B, LinkConditions.Perfect); // rebinding removed: a1 means nothing any more
        sim.SetLink(C, B, new LinkConditions { Rebinds = [new(Instant.FromMilliseconds(1), a1)] }); // free again
        sim.Send(Instant.FromMilliseconds(5), B, a1, Payload(0, 8));
        Assert.True(sim.TryReceive(Instant.FromMilliseconds(5), out var d));
        Assert.Equal(C, d.Destination);
    }

    [Fact]
    public void SetLinkBothWays_configures_each_direction_and_keeps_their_counters_apart()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLinkBothWays(A, B, new LinkConditions { Delay = TimeSpan.FromMilliseconds(15) });
        Assert.Equal(TimeSpan.FromMilliseconds(15), sim.GetLink(A, B).Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(15), sim.GetLink(B, A).Delay);
        sim.Send(Instant.Zero, A, B, Payload(1, 8));
        sim.Send(Instant.Zero, B, A, Payload(2, 8));
        sim.Send(Instant.Zero, B, A, Payload(3, 8));
        var received = new List<Received>();
        Drain(sim, received);
        Assert.All(received, r => Assert.Equal(Instant.FromMilliseconds(15), r.DeliveredAt));
        Assert.Equal(1, sim.GetStatistics(A, B).Delivered);
        Assert.Equal(2, sim.GetStatistics(B, A).Delivered);
        Assert.Throws<ArgumentException>(() => sim.SetLinkBothWays(A, B, new LinkConditions { Rebinds = [new(Instant.Zero, C)] }));
    }

    [Fact]
    public void DeliverDue_also_delivers_replies_due_at_the_same_instant()
    {
        // Zero delay: a chain of replies, all due now, is delivered within one call.
        var sim = new NetworkSimulator(1);
        var sink = new BounceSink(sim, limit: 5);
        sim.Send(Instant.Zero, A, B, Payload(0, 8));
        Assert.Equal(6, sim.DeliverDue(Instant.Zero, sink));
        Assert.Equal([B, A, B, A, B, A], sink.Destinations);
        Assert.Null(sim.NextDeliveryTime);
    }

    private sealed class BounceSink(NetworkSimulator sim, int limit) : IDatagramSink
    {
        public List<IPEndPoint> Destinations { get; } = [];

        public void OnDatagram(in SimulatedDatagram datagram)
        {
            Destinations.Add(datagram.Destination);
            if (Destinations.Count <= limit) sim.Send(datagram.DeliveredAt, datagram.Destination, datagram.Source, datagram.Payload.Span);
        }
    }

    [Fact]
    public void Reconfiguring_a_link_mid_run_affects_only_datagrams_sent_afterwards()
    {
        var sim = new NetworkSimulator(1);
        sim.SetLink(A, B, new LinkConditions { Delay = TimeSpan.FromMilliseconds(100) });
        sim.Send(Instant.Zero, A, B, Payload(1, 8));
        sim.SetLink(A, B, new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), LossRate = 1 });
        sim.Send(Instant.FromMilliseconds(1), A, B, Payload(2, 8)); // lost
        sim.SetLink(A, B, new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) });
        sim.Send(Instant.FromMilliseconds(2), A, B, Payload(3, 8)); // FIFO: may not overtake datagram 1
        var received = new List<Received>();
        Drain(sim, received);
        Assert.Equal([1, 3], received.Select(r => r.Index));
        Assert.Equal(Instant.FromMilliseconds(100), received[0].DeliveredAt);
        Assert.Equal(Instant.FromMilliseconds(100), received[1].DeliveredAt);
        var stats = sim.GetStatistics(A, B);
        Assert.Equal(3, stats.Sent);
        Assert.Equal(1, stats.DroppedLoss);
    }
}
