using System.Diagnostics;
using System.Globalization;
using System.Text;
using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Transport.Reliable.Tests.Harness;

namespace Transport.Bench.Harness;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- harness [--seconds 20] [--seed 1] [--seeds 3] [--out DIR]</c>:
/// runs the reliable-delivery harness (compiled from tests/Transport.Reliable.Tests/Harness) for NewReno, CUBIC and BBR
/// over a 100 Mbit/s, 50 ms RTT link with a 1-BDP drop-tail buffer at 0 %, 0.1 % and 1 % random loss, in virtual time,
/// for seeds seed..seed+seeds-1, and prints a Markdown table (medians over the seeds, goodput with its range); the cwnd /
/// delivery-rate time series of every run go to CSV files (results/harness/ by default).
/// </summary>
public static class HarnessFiguresTool
{
    private const long Bandwidth = 100_000_000;
    private static readonly TimeSpan OneWayDelay = TimeSpan.FromMilliseconds(25);
    private const int Mds = 1200;

    public static int Run(string[] args)
    {
        double seconds = 20;
        int firstSeed = 1, seeds = 3;
        string outDir = Path.Combine("results", "harness");
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], inv); break;
                case "--seed": firstSeed = int.Parse(args[i + 1], inv); break;
                case "--seeds": seeds = Math.Max(1, int.Parse(args[i + 1], inv)); break;
                case "--out": outDir = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"Unknown option {args[i]}; use --seconds N, --seed N, --seeds N, --out DIR.");
                    return 2;
            }
        }
        Directory.CreateDirectory(outDir);

        // 1 BDP = 100 Mbit/s · 50 ms = 625,000 bytes ≈ 520 datagrams of 1,200 bytes.
        long bdpBytes = Bandwidth / 8 * 50 / 1000;
        int queuePackets = (int)(bdpBytes / Mds);
        string seedText = seeds == 1 ? $"seed {firstSeed}" : $"seeds {firstSeed}..{firstSeed + seeds - 1} (medians; goodput range in brackets)";
        var table = new StringBuilder();
        table.AppendLine(inv, $"Harness: 100 Mbit/s bottleneck, 50 ms RTT, drop-tail queue of {queuePackets} packets (1 BDP = {bdpBytes:N0} bytes), {Mds}-byte datagrams, random loss on the data direction only, endless source, {seconds:0.#} virtual seconds per run, {seedText}.");
        table.AppendLine();
        table.AppendLine("| controller | loss | goodput (Mbit/s) | % of bottleneck | retransmitted (%) | lost pkts | mean queueing delay (ms) | p95 queueing delay (ms) |");
        table.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var total = Stopwatch.StartNew();
        foreach (var algorithm in new[] { CongestionControlAlgorithm.NewReno, CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.Bbr })
        {
            string name = algorithm switch
            {
                CongestionControlAlgorithm.NewReno => "NewReno",
                CongestionControlAlgorithm.Cubic => "CUBIC",
                _ => "BBR",
            };
            foreach (double loss in new[] { 0.0, 0.001, 0.01 })
            {
                var results = new List<HarnessResult>();
                for (int seed = firstSeed; seed < firstSeed + seeds; seed++)
                {
                    var r = HarnessSimulation.Run(new HarnessOptions
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
                    });
                    results.Add(r);
                    WriteCsv(Path.Combine(outDir, string.Create(inv, $"{name.ToLowerInvariant()}-loss{loss * 100:0.0#}-seed{seed}.csv")), r);
                    if (r.Stalled || r.StepLimitReached || r.PatternErrors != 0 || r.StreamError != "Ok")
                        Console.Error.WriteLine($"warning: {r}");
                }
                double goodput = Median(results, r => r.GoodputBitsPerSecond) / 1e6;
                double min = double.MaxValue, max = 0;
                foreach (var r in results)
                {
                    min = Math.Min(min, r.GoodputBitsPerSecond / 1e6);
                    max = Math.Max(max, r.GoodputBitsPerSecond / 1e6);
                }
                string range = seeds > 1 ? string.Create(inv, $" [{min:F1}–{max:F1}]") : "";
                table.AppendLine(inv,
                    $"| {name} | {loss * 100:0.0#} % | {goodput:F1}{range} | {100 * goodput * 1e6 / Bandwidth:F1} % | {Median(results, r => r.RetransmissionPercent):F2} | {Median(results, r => r.LostPackets):F0} | {Median(results, r => r.MeanQueueingDelayMs):F1} | {Median(results, r => r.P95QueueingDelayMs):F1} |");
            }
        }
        Console.WriteLine(table.ToString());
        Console.WriteLine(string.Create(inv, $"Time series (time, cwnd, bytes in flight, smoothed RTT, delivery rate, pacing rate, delivered; every 10 ms) in {Path.GetFullPath(outDir)}; real time {total.Elapsed.TotalSeconds:F1} s."));
        return 0;
    }

    private static double Median(List<HarnessResult> results, Func<HarnessResult, double> value)
    {
        var values = new double[results.Count];
        for (int i = 0; i < values.Length; i++) values[i] = value(results[i]);
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
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
