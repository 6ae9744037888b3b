using System.Diagnostics;
using System.Globalization;
using Transport.Bench.Link;
using Transport.Core.Simulation;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Tour;

/// <summary>
/// Congestion control on a bottleneck (issue 7, question 3): Transport's NewReno, CUBIC and BBR, each a full QUIC
/// connection pair (<see cref="BottleneckSimulation"/>) over a simulated 100 Mbit/s, 50 ms RTT path with a 1-BDP
/// drop-tail queue, at 0, 0.1, 1 and 2 % random loss and with a shallow (0.1 BDP) queue, in virtual time; two flows
/// sharing the bottleneck for fairness; and, when root is available, kernel TCP cubic and bbr over the same path
/// emulated in real time between two network namespaces (<see cref="NamespaceLink"/>). Figures: goodput, share of the
/// bottleneck, retransmission rate, queueing delay; charts of window and delivery rate over time.
/// </summary>
internal static class CongestionSection
{
    public const string Name = "congestion";
    private const long Bandwidth = 100_000_000;
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(50);
    private static readonly long Bdp = (long)(Bandwidth * Rtt.TotalSeconds / 8); // 625,000 B
    private static readonly CongestionControlAlgorithm[] Algorithms = [CongestionControlAlgorithm.NewReno, CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.Bbr];
    private static readonly string[] KernelAlgorithms = ["cubic", "bbr"];
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(50);

    private sealed record Condition(string Id, string Title, double Loss, long QueueBytes, bool KernelFull, bool KernelQuick);

    private static readonly Condition[] Conditions =
    [
        new("loss0", "no random loss, 1-BDP queue", 0, Bdp, true, false),
        new("loss0.1", "0.1 % random loss, 1-BDP queue", 0.001, Bdp, false, false),
        new("loss1", "1 % random loss, 1-BDP queue", 0.01, Bdp, true, true),
        new("loss2", "2 % random loss, 1-BDP queue", 0.02, Bdp, false, false),
        new("shallow", "shallow queue (0.1 BDP), no random loss", 0, Bdp / 10, false, false),
    ];

    private static readonly (CongestionControlAlgorithm First, CongestionControlAlgorithm Second)[] Pairs =
    [
        (CongestionControlAlgorithm.NewReno, CongestionControlAlgorithm.NewReno),
        (CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.Cubic),
        (CongestionControlAlgorithm.Bbr, CongestionControlAlgorithm.Bbr),
        (CongestionControlAlgorithm.Cubic, CongestionControlAlgorithm.Bbr),
        (CongestionControlAlgorithm.NewReno, CongestionControlAlgorithm.Cubic),
    ];

    private static readonly TourMetric Goodput = new("goodput", "Mbit/s", true, 1);
    private static readonly TourMetric Share = new("of bottleneck", "%", true, 1);
    private static readonly TourMetric Retransmitted = new("retransmitted", "%", false, 2);
    private static readonly TourMetric QueueMean = new("queueing delay mean", "ms", false, 1);
    private static readonly TourMetric QueueP99 = new("queueing delay p99", "ms", false, 1);

    /// <summary>The path of a condition, each way: RTT/2 delay, the bottleneck, its queue, random loss (as on the TUN path).</summary>
    private static LinkConditions PathOf(Condition c) => LinkTool.PathConditions(Rtt, Bandwidth, c.Loss) with { QueueCapacityBytes = c.QueueBytes };

    private sealed class SimulationJob(Condition? condition, CongestionControlAlgorithm first, CongestionControlAlgorithm? second)
    {
        public Condition? Condition { get; } = condition;
        public CongestionControlAlgorithm First { get; } = first;
        public CongestionControlAlgorithm? Second { get; } = second;
        public BottleneckSimulation? Simulation { get; set; }
        public double WallSeconds { get; set; }
        public string? Error { get; set; }
    }

    public static Task<List<TourTable>> RunAsync(TourContext context) => Task.Run(() => Run(context));

    private static List<TourTable> Run(TourContext context)
    {
        bool quick = context.Options.Quick;
        TimeSpan duration = TimeSpan.FromSeconds(quick ? 4 : 20), measureFrom = TimeSpan.FromSeconds(quick ? 1 : 5);
        TimeSpan pairDuration = TimeSpan.FromSeconds(quick ? 6 : 30), secondStart = TimeSpan.FromSeconds(quick ? 1 : 2), pairMeasureFrom = TimeSpan.FromSeconds(quick ? 2.5 : 10);
        TimeSpan kernelWarmup = TimeSpan.FromSeconds(quick ? 1 : 2), kernelMeasure = TimeSpan.FromSeconds(quick ? 3 : 8);

        // Virtual-time runs: independent and deterministic, so they run side by side on every core.
        // The longest (two-flow) runs first, so no core idles at the end waiting for one.
        var jobs = new List<SimulationJob>();
        foreach ((CongestionControlAlgorithm a, CongestionControlAlgorithm b) in Pairs) jobs.Add(new SimulationJob(null, a, b));
        foreach (Condition c in Conditions)
        {
            foreach (CongestionControlAlgorithm a in Algorithms) jobs.Add(new SimulationJob(c, a, null));
        }
        var progressLock = new object();
        int done = 0;
        var wall = Stopwatch.StartNew();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        context.Progress.Report($"{Name}: {jobs.Count} simulations in virtual time");
        Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, job =>
        {
            var sw = Stopwatch.StartNew();
            try
            {
                if (job.Condition is { } c)
                {
                    LinkConditions path = PathOf(c);
                    var simulation = new BottleneckSimulation(path, path, seed: 1);
                    simulation.AddFlow(job.First, TimeSpan.Zero);
                    job.Simulation = simulation;
                    simulation.Run(duration, measureFrom, SampleInterval);
                }
                else
                {
                    LinkConditions path = PathOf(Conditions[0]);
                    var simulation = new BottleneckSimulation(path, path, seed: 1);
                    simulation.AddFlow(job.First, TimeSpan.Zero);
                    simulation.AddFlow(job.Second!.Value, secondStart);
                    job.Simulation = simulation;
                    simulation.Run(pairDuration, pairMeasureFrom, SampleInterval);
                }
            }
            catch (Exception e)
            {
                job.Error = $"{e.GetType().Name}: {e.Message}";
            }
            job.WallSeconds = sw.Elapsed.TotalSeconds;
            lock (progressLock)
            {
                done++;
                context.Progress.Report($"{Name}: simulation {done}/{jobs.Count} ({Describe(job)}, {job.WallSeconds:F1} s)");
            }
        });
        double simulationWall = wall.Elapsed.TotalSeconds;
        double simulationCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

        // Kernel TCP in real time, one transfer at a time, after the simulations (so they do not compete for the CPU).
        var kernel = new Dictionary<(string Condition, string Algorithm), (KernelTcpPathRun.Result? Result, string? Why)>();
        double kernelWall = 0;
        foreach (Condition c in Conditions)
        {
            if (!c.KernelFull) continue;
            foreach (string algorithm in KernelAlgorithms)
            {
                string? why = KernelTcpPathRun.Unsupported(algorithm);
                if (why is null && quick && !c.KernelQuick) why = "not run in --quick (full tour only)";
                if (why is not null)
                {
                    kernel[(c.Id, algorithm)] = (null, why);
                    continue;
                }
                context.Progress.Report($"{Name}: kernel TCP {algorithm}, {c.Title}, {(kernelWarmup + kernelMeasure).TotalSeconds:0} s real time");
                var sw = Stopwatch.StartNew();
                try
                {
                    kernel[(c.Id, algorithm)] = (KernelTcpPathRun.Run(PathOf(c), algorithm, kernelWarmup, kernelMeasure), null);
                }
                catch (Exception e)
                {
                    kernel[(c.Id, algorithm)] = (null, $"failed: {e.GetType().Name}: {e.Message}");
                }
                kernelWall += sw.Elapsed.TotalSeconds;
            }
        }

        var tables = new List<TourTable>();
        string simulated = $"Transport rows: one QUIC connection (client sends, server reads; TLS 1.3, 1472-byte datagrams, paced) over NetworkSimulator in virtual time, " +
            $"{duration.TotalSeconds:0.#} s per run, figures over [{measureFrom.TotalSeconds:0.#} s, {duration.TotalSeconds:0.#} s]; queueing delay is each delivered data datagram's wait in the bottleneck queue. " +
            "The simulator's bottleneck counts UDP payload bytes, the TUN path's whole IP packets (28 bytes more per datagram), so the simulated link carries about 1.9 % more full-size datagrams; " +
            "at most about 97.3 % of 100 Mbit/s is stream data for Transport (QUIC headers, AEAD tag) and 96.5 % for kernel TCP (1448 of 1500 bytes).";
        string kernelText = $"Kernel rows: a kernel TCP transfer through two network namespaces joined by a userspace TUN forwarder applying the same link model in real time " +
            $"({kernelWarmup.TotalSeconds:0.#} s warm-up + {kernelMeasure.TotalSeconds:0.#} s measured; queueing delay = srtt − min RTT sampled every 50 ms).";
        foreach (Condition c in Conditions)
        {
            string chart = $"congestion-{c.Id}-timeseries.svg";
            var table = new TourTable(Name, $"congestion-{c.Id}", $"Bottleneck 100 Mbit/s, 50 ms RTT: {c.Title}",
                $"Path each way: 25 ms delay, 100 Mbit/s, drop-tail queue of {c.QueueBytes:N0} B, random loss {c.Loss * 100:0.#} %. {simulated}" +
                (c.KernelFull ? " " + kernelText : "") + $" Window, bytes in flight and delivery rate over time: {chart}.",
                [Goodput, Share, Retransmitted, QueueMean, QueueP99]);
            var windowSeries = new List<SvgLineChart.Series>();
            var inFlightSeries = new List<SvgLineChart.Series>();
            var rateSeries = new List<SvgLineChart.Series>();
            foreach (SimulationJob job in jobs)
            {
                if (job.Condition != c) continue;
                string label = "Transport " + BottleneckFlow.Label(job.First);
                TourRow row = table.Row(label);
                BottleneckFlow? flow = job.Simulation?.Flows[0];
                string? error = job.Error ?? flow?.Error;
                if (error is not null || flow is null)
                {
                    row.Error = error ?? "no result";
                    continue;
                }
                (double queueMean, double queueP99) = job.Simulation!.QueueingDelay();
                row.Values[Goodput.Name] = flow.GoodputBitsPerSecond / 1e6;
                row.Values[Share.Name] = flow.GoodputBitsPerSecond / Bandwidth * 100;
                row.Values[Retransmitted.Name] = flow.RetransmissionRate * 100;
                row.Values[QueueMean.Name] = queueMean;
                row.Values[QueueP99.Name] = queueP99;
                row.Note = $"whole run: {flow.FinalClientStatistics.PacketsSent:N0} packets sent, {flow.FinalClientStatistics.PacketsLost:N0} declared lost; {job.WallSeconds:F1} s wall";
                if (job.First == CongestionControlAlgorithm.Bbr && c.Id == "loss1")
                {
                    double pct = flow.GoodputBitsPerSecond / Bandwidth * 100;
                    row.Note += $"; target ≥ 90 % of the bottleneck: {pct:F1} % ({(pct >= 90 ? "met" : "NOT met")})";
                }
                windowSeries.Add(new SvgLineChart.Series(label, [.. flow.Samples.Select(s => (s.Seconds, s.Cwnd / 1000.0))]));
                inFlightSeries.Add(new SvgLineChart.Series(label, [.. flow.Samples.Select(s => (s.Seconds, s.BytesInFlight / 1000.0))]));
                rateSeries.Add(new SvgLineChart.Series(label, [.. flow.Samples.Select(s => (s.Seconds, s.DeliveryBitsPerSecond / 1e6))]));
            }
            if (c.KernelFull)
            {
                foreach (string algorithm in KernelAlgorithms)
                {
                    string label = "kernel TCP " + algorithm;
                    TourRow row = table.Row(label);
                    (KernelTcpPathRun.Result? r, string? why) = kernel[(c.Id, algorithm)];
                    if (r is null)
                    {
                        if (why!.StartsWith("failed: ", StringComparison.Ordinal)) row.Error = why["failed: ".Length..];
                        else row.Unavailable = why;
                        continue;
                    }
                    row.Values[Goodput.Name] = r.GoodputBitsPerSecond / 1e6;
                    row.Values[Share.Name] = r.GoodputBitsPerSecond / Bandwidth * 100;
                    row.Values[Retransmitted.Name] = r.RetransmissionRate * 100;
                    row.Values[QueueMean.Name] = r.QueueingMeanMs;
                    row.Values[QueueP99.Name] = r.QueueingP99Ms;
                    row.Note = "real time; " + r.Note;
                    windowSeries.Add(new SvgLineChart.Series(label, [.. r.Samples.Select(s => (s.Seconds, s.Cwnd / 1000.0))]));
                    inFlightSeries.Add(new SvgLineChart.Series(label, [.. r.Samples.Select(s => (s.Seconds, s.BytesInFlight / 1000.0))]));
                    rateSeries.Add(new SvgLineChart.Series(label, [.. r.Samples.Select(s => (s.Seconds, s.DeliveryBitsPerSecond / 1e6))]));
                }
            }
            string rateTitle = c.KernelFull ? "delivery rate (Mbit/s; Transport: UDP payload reaching the server per 50 ms; kernel: tcpi_delivery_rate)" : "delivery rate (Mbit/s: UDP payload reaching the server per 50 ms)";
            table.ExtraCharts.Add((chart, SvgLineChart.Render($"Congestion window, bytes in flight and delivery rate: {c.Title}", "seconds",
                [new SvgLineChart.Panel("congestion window (kB)", windowSeries), new SvgLineChart.Panel("bytes in flight (kB)", inFlightSeries), new SvgLineChart.Panel(rateTitle, rateSeries)])));
            tables.Add(table);
        }

        TourMetric first = new("flow 1 goodput", "Mbit/s", true, 1), second = new("flow 2 goodput", "Mbit/s", true, 1);
        TourMetric firstShare = new("flow 1 share", "%", true, 1), jain = new("Jain's index", "0–1", true, 3), total = new("total", "Mbit/s", true, 1);
        const string fairnessChart = "congestion-fairness-timeseries.svg";
        var fairness = new TourTable(Name, "congestion-fairness", "Fairness: two flows sharing the bottleneck",
            $"Two QUIC connections through the same 100 Mbit/s, 50 ms RTT, 1-BDP queue, no random loss (one link each way, so one queue); flow 2 starts " +
            $"{secondStart.TotalSeconds:0.#} s after flow 1; {pairDuration.TotalSeconds:0.#} s virtual per run, figures over [{pairMeasureFrom.TotalSeconds:0.#} s, {pairDuration.TotalSeconds:0.#} s]. " +
            $"Share = flow 1 ÷ both; Jain's index = (x1+x2)² ÷ 2(x1²+x2²), 1 is a fair split, 0.5 one flow takes all. Delivery rate per flow over time: {fairnessChart}.",
            [first, second, firstShare, jain, total]);
        var panels = new List<SvgLineChart.Panel>();
        foreach (SimulationJob job in jobs)
        {
            if (job.Condition is not null) continue;
            string label = $"{BottleneckFlow.Label(job.First)} vs {BottleneckFlow.Label(job.Second!.Value)}";
            TourRow row = fairness.Row(label);
            IReadOnlyList<BottleneckFlow>? flows = job.Simulation?.Flows;
            string? error = job.Error ?? flows?[0].Error ?? flows?[1].Error;
            if (error is not null || flows is null)
            {
                row.Error = error ?? "no result";
                continue;
            }
            double x1 = flows[0].GoodputBitsPerSecond, x2 = flows[1].GoodputBitsPerSecond;
            row.Values[first.Name] = x1 / 1e6;
            row.Values[second.Name] = x2 / 1e6;
            row.Values[firstShare.Name] = x1 + x2 > 0 ? x1 / (x1 + x2) * 100 : double.NaN;
            row.Values[jain.Name] = x1 + x2 > 0 ? (x1 + x2) * (x1 + x2) / (2 * (x1 * x1 + x2 * x2)) : double.NaN;
            row.Values[total.Name] = (x1 + x2) / 1e6;
            (double queueMean, double queueP99) = job.Simulation!.QueueingDelay();
            row.Note = $"flow 1 {BottleneckFlow.Label(job.First)}, flow 2 {BottleneckFlow.Label(job.Second.Value)}; queueing delay mean {queueMean:F1} ms, p99 {queueP99:F1} ms; {job.WallSeconds:F1} s wall";
            panels.Add(new SvgLineChart.Panel($"{BottleneckFlow.Label(job.First)} (flow 1) vs {BottleneckFlow.Label(job.Second.Value)} (flow 2): delivery rate (Mbit/s)",
            [
                new SvgLineChart.Series("flow 1", [.. flows[0].Samples.Select(s => (s.Seconds, s.DeliveryBitsPerSecond / 1e6))]),
                new SvgLineChart.Series("flow 2", [.. flows[1].Samples.Select(s => (s.Seconds, s.DeliveryBitsPerSecond / 1e6))]),
            ]));
        }
        fairness.ExtraCharts.Add((fairnessChart, SvgLineChart.Render("Two flows on one bottleneck: delivery rate per flow", "seconds (virtual)", panels)));
        tables.Add(fairness);

        context.Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: simulations {simulationWall:F1} s wall ({simulationCpu:F1} s CPU), kernel TCP {kernelWall:F1} s"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tour {Name}: {jobs.Count} simulations took {simulationWall:F1} s wall, {simulationCpu:F1} s CPU; kernel TCP transfers {kernelWall:F1} s"));
        return tables;
    }

    private static string Describe(SimulationJob job) => job.Condition is { } c
        ? $"{BottleneckFlow.Label(job.First)}, {c.Title}"
        : $"{BottleneckFlow.Label(job.First)} vs {BottleneckFlow.Label(job.Second!.Value)}";
}
