using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// The reliable-delivery engine end to end: <see cref="HarnessSender"/> and <see cref="HarnessReceiver"/> built from the
/// Recovery, Ack, Congestion, Streams and FlowControl components, over <see cref="NetworkSimulator"/> in virtual time.
/// Every assertion is on simulation results, which are deterministic for a seed; none is on real time.
/// </summary>
public class ReliableDeliveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(25);

    /// <summary>Generated networks per controller; set HARNESS_PROPERTY_RUNS for a longer hunt (e.g. 5000).</summary>
    private static readonly int PropertyRuns =
        int.TryParse(Environment.GetEnvironmentVariable("HARNESS_PROPERTY_RUNS"), out int n) && n > 0 ? n : 150;

    /// <summary>A generated network and workload.</summary>
    public sealed record Scenario(
        int Seed, int TransferBytes, double ForwardLoss, double ReverseLoss, double Reorder, int ReorderDelayMs,
        double Duplicate, int DelayMs, int JitterMs, int BandwidthMbps, int QueuePackets, int ReceiveWindow, int ReadRateKBps)
    {
        internal HarnessOptions ToOptions(CongestionControlAlgorithm algorithm)
        {
            var forward = new LinkConditions
            {
                Delay = TimeSpan.FromMilliseconds(DelayMs),
                Jitter = TimeSpan.FromMilliseconds(JitterMs),
                LossRate = ForwardLoss,
                ReorderRate = Reorder,
                ReorderDelay = TimeSpan.FromMilliseconds(ReorderDelayMs),
                DuplicateRate = Duplicate,
                BandwidthBitsPerSecond = BandwidthMbps * 1_000_000L,
                QueueCapacityPackets = BandwidthMbps > 0 ? QueuePackets : 0,
            };
            return new HarnessOptions
            {
                Algorithm = algorithm,
                Seed = Seed,
                TransferBytes = TransferBytes,
                Forward = forward,
                Reverse = forward with { LossRate = ReverseLoss, BandwidthBitsPerSecond = 0, QueueCapacityPackets = 0 },
                InitialReceiveWindow = ReceiveWindow,
                MaxReceiveWindow = 4L * 1024 * 1024,
                ReadRateBytesPerSecond = ReadRateKBps * 1000.0,
                TimeLimit = TimeSpan.FromSeconds(900),
                SampleInterval = TimeSpan.Zero,
                InvariantCheckInterval = 97,
            };
        }
    }

    private static readonly Gen<Scenario> Scenarios =
        from seed in Gen.Choose(0, int.MaxValue)
        from size in Gen.Choose(100_000, 500_000)
        from loss in Gen.Choose(0, 100)            // per mille: up to 10 %
        from reverseLoss in Gen.Choose(0, 100)
        from reorder in Gen.Choose(0, 100)
        from reorderDelay in Gen.Choose(1, 30)
        from duplicate in Gen.Choose(0, 50)
        from delay in Gen.Choose(1, 40)
        from jitter in Gen.Choose(0, 3)
        from bandwidth in Gen.Elements(0, 5, 20, 100)
        from queue in Gen.Choose(8, 300)
        from window in Gen.Elements(16 * 1024, 64 * 1024, 256 * 1024)
        from readRate in Gen.Elements(0, 0, 0, 500, 4000)   // kB/s; 0 = the application reads everything at once
        select new Scenario(seed, size, loss / 1000.0, reverseLoss / 1000.0, reorder / 1000.0, reorderDelay, duplicate / 1000.0,
            delay, jitter, bandwidth, queue, window, readRate);

    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.Bbr)]
    public void Every_byte_arrives_once_in_order_with_fin_under_generated_impairments(CongestionControlAlgorithm algorithm)
    {
        long runs = 0, lost = 0, retransmitted = 0, duplicates = 0;
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var r = HarnessSimulation.Run(scenario.ToOptions(algorithm));
            runs++;
            lost += r.LostPackets;
            retransmitted += r.RetransmittedBytes;
            duplicates += r.DuplicatePacketsReceived;
            string why = $"{scenario}\n{r}";
            Assert.True(r.Completed, "the transfer did not complete: " + why);
            Assert.True(r.FinDelivered, "no FIN delivered: " + why);
            Assert.Equal(scenario.TransferBytes, r.DeliveredBytes);
            Assert.True(r.PatternErrors == 0, $"wrong bytes from offset {r.FirstPatternErrorOffset}: " + why);
            Assert.True(r.StreamError == "Ok", "the receive buffer reported " + r.StreamError + ": " + why);
            Assert.True(r.MalformedPackets == 0 && r.RejectedAcks == 0, "a packet was malformed or an ACK rejected: " + why);
            // Bytes in flight equal the sum of the loss detector's in-flight packets (at the end, and at sampled steps).
            Assert.Equal(r.FinalOutstandingInFlightSum, r.FinalBytesInFlight);
            Assert.True(r.InvariantViolations == 0, "a periodic invariant check failed: " + why);
            // The cwnd trace never goes below the controller's minimum window.
            Assert.True(r.MinimumObservedWindow >= r.ControllerMinimumWindow, "the window fell below its floor: " + why);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(PropertyRuns));
        output.WriteLine($"{algorithm}: {runs} runs, {lost} packets declared lost, {retransmitted} bytes retransmitted, {duplicates} duplicates dropped");
        Assert.True(lost > 0 && retransmitted > 0 && duplicates > 0, "the generated networks never exercised loss recovery");
    }

    private static HarnessOptions CleanBottleneck(CongestionControlAlgorithm algorithm, double loss = 0) => new()
    {
        Algorithm = algorithm,
        Seed = 7,
        TransferBytes = null,
        TimeLimit = TimeSpan.FromSeconds(6),
        Forward = new LinkConditions { Delay = OneWay, BandwidthBitsPerSecond = 100_000_000, QueueCapacityPackets = 520, LossRate = loss },
        Reverse = new LinkConditions { Delay = OneWay },
        InitialReceiveWindow = 1024 * 1024,
        MaxReceiveWindow = 64L * 1024 * 1024,
        SampleInterval = TimeSpan.FromMilliseconds(10),
        InvariantCheckInterval = 1009,
    };

    // The clean-bottleneck runs are shared by the tests that read them (they are deterministic, so one run each suffices).
    private static readonly Lazy<HarnessResult>[] CleanRuns =
    [
        new(() => HarnessSimulation.Run(CleanBottleneck(CongestionControlAlgorithm.NewReno))),
        new(() => HarnessSimulation.Run(CleanBottleneck(CongestionControlAlgorithm.Cubic))),
        new(() => HarnessSimulation.Run(CleanBottleneck(CongestionControlAlgorithm.Bbr))),
    ];

    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.Bbr)]
    public void A_clean_bottleneck_is_highly_utilised(CongestionControlAlgorithm algorithm)
    {
        var r = CleanRuns[(int)algorithm].Value;
        output.WriteLine(r.ToString());
        Assert.True(r.TimeLimitReached && !r.Stalled && r.PatternErrors == 0, r.ToString());
        // 6 virtual seconds including slow start: loose bound, the steady state is above 94 % for all three.
        Assert.InRange(r.GoodputBitsPerSecond, 0.80 * 100_000_000, 100_000_000);
        Assert.True(r.MinimumObservedWindow >= r.ControllerMinimumWindow, r.ToString());
        Assert.Equal(0, r.InvariantViolations);
        foreach (var s in r.Samples) Assert.True(s.CongestionWindow >= r.ControllerMinimumWindow, $"cwnd {s.CongestionWindow} at {s.Time}");
        // The bottleneck queue never holds more than its 520 packets: queueing delay stays within 520 · 96 µs ≈ 50 ms.
        Assert.InRange(r.P95QueueingDelayMs, 0, 51);
    }

    [Fact]
    public void Bbr_keeps_the_queue_shorter_than_loss_based_controllers()
    {
        var bbr = CleanRuns[(int)CongestionControlAlgorithm.Bbr].Value;
        var cubic = CleanRuns[(int)CongestionControlAlgorithm.Cubic].Value;
        output.WriteLine(bbr.ToString());
        output.WriteLine(cubic.ToString());
        Assert.True(bbr.MeanQueueingDelayMs < cubic.MeanQueueingDelayMs / 2, $"BBR {bbr.MeanQueueingDelayMs} ms vs CUBIC {cubic.MeanQueueingDelayMs} ms");
    }

    [Fact]
    public void Bbr_startup_is_not_ended_by_a_single_random_loss()
    {
        // draft-ietf-ccwg-bbr: Startup's high-loss exit needs BBRStartupFullLossCnt (6) losses in a round besides a loss
        // rate above 2 %. At 1 % random loss an early round of 10-40 packets that loses one is above 2 %; without the
        // count, Startup ended there and the window stayed around 30 KB. With it, Startup fills most of the 625 KB BDP.
        var r = HarnessSimulation.Run(CleanBottleneck(CongestionControlAlgorithm.Bbr, loss: 0.01) with { TimeLimit = TimeSpan.FromSeconds(1.5) });
        output.WriteLine(r.ToString());
        long maxCwnd = 0;
        foreach (var s in r.Samples) maxCwnd = Math.Max(maxCwnd, s.CongestionWindow);
        Assert.True(maxCwnd > 200_000, $"BBR's window peaked at {maxCwnd} bytes");
    }

    [Fact]
    public void A_run_is_deterministic_for_a_seed()
    {
        var options = CleanBottleneck(CongestionControlAlgorithm.Bbr, loss: 0.01) with { TimeLimit = TimeSpan.FromSeconds(3) };
        var a = HarnessSimulation.Run(options);
        var b = HarnessSimulation.Run(options);
        Assert.Equal(a.ToString(), b.ToString());
        Assert.Equal(a.Samples, b.Samples);
        var c = HarnessSimulation.Run(options with { Seed = 8 });
        Assert.NotEqual(a.ToString(), c.ToString());
    }

    [Fact]
    public void A_slow_reader_limits_the_sender_through_flow_control()
    {
        var r = HarnessSimulation.Run(new HarnessOptions
        {
            Algorithm = CongestionControlAlgorithm.Cubic,
            TransferBytes = 1_000_000,
            Forward = new LinkConditions { Delay = OneWay, BandwidthBitsPerSecond = 100_000_000, QueueCapacityPackets = 520 },
            Reverse = new LinkConditions { Delay = OneWay },
            InitialReceiveWindow = 32 * 1024,
            MaxReceiveWindow = 32 * 1024,
            ReadRateBytesPerSecond = 250_000,
        });
        output.WriteLine(r.ToString());
        Assert.True(r.Completed, r.ToString());
        // 1 MB at 250 kB/s takes at least 4 s whatever the network could do; the window keeps memory bounded.
        Assert.True(r.GoodputInterval >= TimeSpan.FromSeconds(3.8), r.ToString());
        Assert.True(r.GoodputBitsPerSecond <= 250_000 * 8 * 1.1, r.ToString());
        Assert.True(r.WindowUpdatesSent > 0, r.ToString());
        Assert.True(r.BlockedPacketsSent > 0, r.ToString());
        Assert.Equal(0, r.LostPackets);
    }

    [Fact]
    public void The_receive_window_auto_tunes_up_for_a_fast_reader()
    {
        var r = HarnessSimulation.Run(new HarnessOptions
        {
            Algorithm = CongestionControlAlgorithm.Bbr,
            TransferBytes = 20_000_000,
            Forward = new LinkConditions { Delay = OneWay, BandwidthBitsPerSecond = 100_000_000, QueueCapacityPackets = 520 },
            Reverse = new LinkConditions { Delay = OneWay },
            InitialReceiveWindow = 64 * 1024,
            MaxReceiveWindow = 16L * 1024 * 1024,
        });
        output.WriteLine(r.ToString());
        Assert.True(r.Completed, r.ToString());
        Assert.True(r.FinalReceiveWindow >= 1024 * 1024, $"window {r.FinalReceiveWindow}");
        Assert.True(r.GoodputBitsPerSecond > 50_000_000, r.ToString());
    }
}
