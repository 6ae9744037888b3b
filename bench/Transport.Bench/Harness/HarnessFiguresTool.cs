using System.Diagnostics;
using System.Globalization;
using System.Text;
using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Transport.Reliable.Tests.Harness;

namespace Transport.Bench.Harness;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- harness [--seconds N] [--seed N] [--out DIR]</c>: runs the
/// reliable-delivery harness (compiled from tests/Transport.Reliable.Tests/Harness) for NewReno, CUBIC and BBR over a
/// 100 Mbit/s, 50 ms RTT link with a 1-BDP drop-tail buffer at 0 %, 0.1 % and 1 % random loss, in virtual time, and
/// prints a Markdown table; the cwnd / delivery-rate time series go to CSV files (results/harness/ by default).
/// </summary>
public static class HarnessFiguresTool
{
    private const long Bandwidth = 100_000_000;
    private static readonly TimeSpan OneWayDelay = TimeSpan.FromMilliseconds(25);
    private const int Mds = 1200;

    public static int Run(string[] args)
    {
        double seconds = 20;
        int seed = 1;
        string outDir = Path.Combine("results", "harness");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--out": outDir = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"Unknown option {args[i]}; use --seconds N, --seed N, --out DIR.");
                    return 2;
            }
        }
        Directory.CreateDirectory(outDir);

        // 1 BDP = 100 Mbit/s · 50 ms = 625,000 bytes ≈ 520 datagrams of 1,200 bytes.
        long bdpBytes = Bandwidth / 8 * 50 / 1000;
        int queuePackets = (int)(bdpBytes / Mds);
        var inv = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.AppendLine(inv, $"Harness: 100 Mbit/s bottleneck, 50 ms RTT, drop-tail queue of {queuePackets} packets (1 BDP = {bdpBytes:N0} bytes), {Mds}-byte datagrams, random loss on the data direction only, endless source, {seconds:0.#} virtual seconds per run, seed {seed}.");
        table.AppendLine();
        table.AppendLine("| controller | loss | goodput (Mbit/s) | % of bottleneck | retransmitted (%) | lost pkts | spurious | mean queueing delay (ms) | p95 queueing delay (ms) | real time (s) |");
        table.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var total = Stopwatch.StartNew();
        foreach (var algorithm in new[] { CongestionControlAlgorithm.NewReno, CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.Bbr })
        {
            foreach (double loss in new[] { 0.0, 0.001, 0.01 })
            {
                var options = new HarnessOptions
                {
                    Algorithm = algorithm,
                    TransferBytes = null,
                    Seed = seed,
                    TimeLimit = TimeSpan.FromSeconds(seconds),
                    Forward = new LinkConditions
                    {
                        Delay = OneWayDelay, BandwidthBitsPerSecond = Bandwidth, QueueCapacityPackets = queuePackets, LossRate = loss,
                    },
                    Reverse = new LinkConditions { Delay = OneWayDelay },
                    InitialReceiveWindow = 1024 * 1024,
                    MaxReceiveWindow = 64L * 1024 * 1024,
                    SampleInterval = TimeSpan.FromMilliseconds(10),
                };
                var watch = Stopwatch.StartNew();
                var r = HarnessSimulation.Run(options);
                watch.Stop();
                string name = algorithm switch
                {
                    CongestionControlAlgorithm.NewReno => "NewReno",
                    CongestionControlAlgorithm.Cubic => "CUBIC",
                    _ => "BBR",
                };
                double mbps = r.GoodputBitsPerSecond / 1e6;
                table.AppendLine(inv,
                    $"| {name} | {loss * 100:0.0#} % | {mbps:F1} | {100 * r.GoodputBitsPerSecond / Bandwidth:F1} % | {r.RetransmissionPercent:F2} | {r.LostPackets} | {r.SpuriousLosses} | {r.MeanQueueingDelayMs:F1} | {r.P95QueueingDelayMs:F1} | {watch.Elapsed.TotalSeconds:F1} |");
                WriteCsv(Path.Combine(outDir, $"{name.ToLowerInvariant()}-loss{loss * 100:0.0#}.csv".Replace(',', '.')), r);
                if (r.Stalled || r.StepLimitReached || r.PatternErrors != 0 || r.StreamError != "Ok")
                    Console.Error.WriteLine($"warning: {r}");
            }
        }
        Console.WriteLine(table.ToString());
        Console.WriteLine(string.Create(inv, $"Time series (time, cwnd, bytes in flight, smoothed RTT, delivery rate, pacing rate, delivered) in {Path.GetFullPath(outDir)}; total real time {total.Elapsed.TotalSeconds:F1} s."));
        return 0;
    }

    private static void WriteCsv(string path, HarnessResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        using var w = new StreamWriter(path);
        w.WriteLine("time_s,cwnd_bytes,bytes_in_flight,smoothed_rtt_ms,delivery_rate_mbps,pacing_rate_mbps,delivered_bytes");
        foreach (var s in r.Samples)
        {
            w.WriteLine(string.Create(inv,
                $"{s.Time.TotalSeconds:F3},{s.CongestionWindow},{s.BytesInFlight},{s.SmoothedRtt.TotalMilliseconds:F3},{s.DeliveryRate * 8 / 1e6:F3},{s.PacingRate * 8 / 1e6:F3},{s.Delivered}"));
        }
    }
}
