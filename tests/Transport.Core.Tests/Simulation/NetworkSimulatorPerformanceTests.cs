using System.Diagnostics;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Xunit.Abstractions;
using static Transport.Core.Tests.Simulation.SimulationHarness;
using Transport.Tests.Shared;

namespace Transport.Core.Tests.Simulation;

/// <summary>A million datagrams through an impaired link: checks the outcome only, and prints how long it took.</summary>
public sealed class NetworkSimulatorPerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void A_million_datagrams_through_a_lossy_link_all_end_up_delivered_or_dropped()
    {
        const int count = 1_000_000;
        var a = Endpoint(0);
        var b = Endpoint(1);
        var sim = new NetworkSimulator(2024);
        sim.SetLink(a, b, new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(20),
            Jitter = TimeSpan.FromMilliseconds(2),
            LossRate = 0.01,
            GilbertElliott = new GilbertElliottModel(0.001, 0.3),
            ReorderRate = 0.005,
            ReorderDelay = TimeSpan.FromMilliseconds(3),
            DuplicateRate = 0.001,
            CorruptRate = 0.001,
            BandwidthBitsPerSecond = 1_000_000_000,
            QueueCapacityPackets = 1000,
        });
        var payload = new byte[1200];
        long received = 0, receivedBytes = 0;
        var now = Instant.Zero;
        var step = TimeSpan.FromMicroseconds(10); // 960 Mbit/s offered
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            while (sim.TryReceive(now, out var d))
            {
                received++;
                receivedBytes += d.Payload.Length;
            }
            FillPayload(i, payload.AsSpan(0, 8));
            sim.Send(now, a, b, payload);
            now += step;
        }
        while (sim.NextDeliveryTime is { } next)
        {
            while (sim.TryReceive(next, out var d))
            {
                received++;
                receivedBytes += d.Payload.Length;
            }
        }
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        var stats = sim.GetStatistics(a, b);
        output.WriteLine($"{count:N0} datagrams in {stopwatch.Elapsed.TotalMilliseconds:N0} ms of real time " +
            $"({count / stopwatch.Elapsed.TotalSeconds:N0}/s; process CPU time {cpu.TotalMilliseconds:N0} ms), " +
            $"{now.SinceZero.TotalSeconds:N1} s of virtual time");
        output.WriteLine(Describe(stats));

        Assert.Equal(count, stats.Sent);
        Assert.Equal(received, stats.Delivered);
        Assert.Equal(receivedBytes, stats.DeliveredBytes);
        Assert.Equal(0, stats.InFlight);
        Assert.Equal(stats.Sent + stats.Duplicated, stats.Delivered + stats.Dropped);
        Assert.True(stats.DroppedLoss > 0 && stats.DroppedBurstLoss > 0 && stats.Duplicated > 0 && stats.Corrupted > 0 && stats.Reordered > 0);
    }

    [Fact]
    public void Sending_and_receiving_allocate_nothing_in_steady_state()
    {
        var a = Endpoint(0);
        var b = Endpoint(1);
        var c = Endpoint(2);
        var sim = new NetworkSimulator(77);
        var conditions = new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(10),
            Jitter = TimeSpan.FromMilliseconds(1),
            LossRate = 0.02,
            GilbertElliott = new GilbertElliottModel(0.01, 0.5),
            ReorderRate = 0.02,
            ReorderDelay = TimeSpan.FromMilliseconds(2),
            DuplicateRate = 0.02,
            CorruptRate = 0.02,
            BandwidthBitsPerSecond = 2_000_000_000,
            QueueCapacityPackets = 64,
        };
        sim.SetLink(a, b, conditions);
        sim.SetLink(b, a, conditions);
        sim.SetLink(a, c, conditions with { Rebinds = [new(Instant.FromMilliseconds(1), Endpoint(3))] });
        var payload = new byte[1200];
        var now = Instant.Zero;
        var sink = new CountingSink();

        void Traffic(int count)
        {
            for (int i = 0; i < count; i++)
            {
                while (sim.TryReceive(now, out var d)) sink.OnDatagram(in d);
                sim.Send(now, a, b, payload);
                sim.Send(now, b, a, payload.AsSpan(0, 100));
                sim.Send(now, a, c, payload.AsSpan(0, 500));
                sim.DeliverDue(now, sink);
                now += TimeSpan.FromMicroseconds(20);
            }
        }

        // Warm up (pools, queues and heaps reach their working size, the JIT settles), then the fewest bytes allocated
        // in any of four windows of 60,000 sends. A pool or queue may still grow now and then, when the random number
        // in flight beats its earlier peak; an allocation per datagram would cost at least 24 bytes each, 1.4 MB here,
        // in every window. Allow under 1 byte per send.
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => Traffic(20_000), warmupRounds: 1, measuredRounds: 1, attempts: 4);
        output.WriteLine($"fewest bytes allocated in a window of 60,000 sends: {allocated}");
        Assert.InRange(allocated, 0, 60_000);
        Assert.True(sink.Count > 200_000);
    }

    private sealed class CountingSink : IDatagramSink
    {
        public long Count;

        public void OnDatagram(in SimulatedDatagram datagram) => Count += datagram.Payload.Length > 0 ? 1 : 0;
    }
}
