using System.Diagnostics;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Xunit.Abstractions;
using static Transport.Core.Tests.Simulation.SimulationHarness;

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
}
