using System.Globalization;
using System.Text;

namespace Transport.Bench.Tour;

/// <summary>
/// Issue 7's targets, judged from the figures of one tour run only (read, never asserted): each target's measured value,
/// its reference (another contender's figure in the same run, or a fixed threshold), the ratio, and a verdict: met,
/// missed by how much, not measurable (and why), or not measured in this run (its section did not run).
/// </summary>
internal static class TourTargets
{
    public const string Ours = "Transport QUIC";
    public const string SystemNetQuic = "System.Net.Quic";
    public const string TcpTls = "TCP+TLS 1.3";

    /// <summary>Bulk throughput at least this many times System.Net.Quic's.</summary>
    public const double BulkVsSystemNetQuic = 1.25;

    /// <summary>Bulk throughput at least this many times kernel TCP+TLS's.</summary>
    public const double BulkVsTcpTls = 0.6;

    /// <summary>BBR goodput at 1 % random loss, percent of the bottleneck.</summary>
    public const double BbrSharePercent = 90;

    /// <summary>Memory per idle connection, KiB.</summary>
    public const double IdleMemoryKiB = 16;

    /// <summary>0-RTT's saving over 1-RTT, in RTTs: one, less 5 % for timer and scheduling noise on a real path.</summary>
    public const double ZeroRttSavingRtts = 0.95;

    /// <summary>Judges every target from <paramref name="tables"/>; <paramref name="sectionsRun"/> are the sections this run ran.</summary>
    public static List<TargetResult> Evaluate(IReadOnlyList<TourTable> tables, IReadOnlyCollection<string> sectionsRun)
    {
        return
        [
            Relative(tables, sectionsRun, $"Bulk throughput ≥ {BulkVsSystemNetQuic:0.##}× System.Net.Quic's (loopback)", LoopbackSection.Name,
                "loopback-bulk", "throughput", SystemNetQuic, BulkVsSystemNetQuic),
            Relative(tables, sectionsRun, $"Bulk throughput ≥ {BulkVsTcpTls:0.##}× kernel TCP+TLS's (loopback)", LoopbackSection.Name,
                "loopback-bulk", "throughput", TcpTls, BulkVsTcpTls),
            Relative(tables, sectionsRun, "Request/response p50 ≤ System.Net.Quic's (loopback, one outstanding)", LoopbackSection.Name,
                "loopback-rr", "p50", SystemNetQuic, 1.0),
            Relative(tables, sectionsRun, "Handshakes per second ≥ System.Net.Quic's (loopback)", LoopbackSection.Name,
                "loopback-handshakes", "rate", SystemNetQuic, 1.0),
            ZeroRtt(tables, sectionsRun),
            Bbr(tables, sectionsRun),
            IdleMemory(tables, sectionsRun),
        ];
    }

    /// <summary>The Markdown section: a heading, one table row per target, and how the verdicts were reached.</summary>
    public static string RenderMarkdown(IReadOnlyList<TargetResult> results)
    {
        var sb = new StringBuilder("## Targets\n\n");
        sb.Append("Issue 7's targets, from this run's figures only.\n\n");
        sb.Append("| target | measured | reference | ratio | verdict |\n|---|---:|---:|---:|---|\n");
        foreach (TargetResult r in results)
        {
            sb.Append("| ").Append(Escape(r.Target))
              .Append(" | ").Append(Escape(r.MeasuredText))
              .Append(" | ").Append(Escape(r.ReferenceText))
              .Append(" | ").Append(r.Ratio is double ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—")
              .Append(" | ").Append(Escape(r.Verdict)).Append(" |\n");
        }
        int met = results.Count(r => r.Status == TargetStatus.Met);
        int judged = results.Count(r => r.Status is TargetStatus.Met or TargetStatus.Missed);
        sb.Append($"\n{met} of {judged} judged targets met; {results.Count - judged} not judged in this run. " +
            "Ratio: measured ÷ reference (for p50 and memory lower is better).\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);

    private static TargetResult Relative(IReadOnlyList<TourTable> tables, IReadOnlyCollection<string> sectionsRun, string target, string section,
        string tableId, string metricName, string reference, double requiredRatio)
    {
        if (!sectionsRun.Contains(section)) return NotMeasured(target, section);
        TourTable? table = Find(tables, tableId);
        TourMetric? metric = table?.Metrics.FirstOrDefault(m => m.Name == metricName);
        if (table is null || metric is null) return NotMeasurable(target, $"table {tableId} is missing");
        if (!TryValue(table, Ours, metricName, out double ours, out string? whyOurs)) return NotMeasurable(target, whyOurs!);
        if (!TryValue(table, reference, metricName, out double baseline, out string? whyReference)) return NotMeasurable(target, whyReference!, measured: Format(ours, metric));
        if (baseline <= 0) return NotMeasurable(target, $"{reference}'s {metricName} is {baseline}", measured: Format(ours, metric));
        double ratio = ours / baseline;
        double required = baseline * requiredRatio;
        bool met = metric.HigherIsBetter ? ours >= required : ours <= required;
        string verdict = met ? "met" : $"missed by {Format(Math.Abs(required - ours), metric)} ({Math.Abs(required - ours) / required * 100:0.#} % of the {Format(required, metric)} needed)";
        return new TargetResult(target, ours, Format(ours, metric), baseline, $"{reference}: {Format(baseline, metric)}", ratio,
            met ? TargetStatus.Met : TargetStatus.Missed, verdict);
    }

    private static TargetResult ZeroRtt(IReadOnlyList<TourTable> tables, IReadOnlyCollection<string> sectionsRun)
    {
        string target = "0-RTT: first response byte one RTT sooner than 1-RTT (setup, p50)";
        if (!sectionsRun.Contains(SetupSection.Name)) return NotMeasured(target, SetupSection.Name);
        TourTable? table = Find(tables, "setup-zero-rtt-saving");
        if (table is null) return NotMeasurable(target, "table setup-zero-rtt-saving is missing");
        // The real (emulated) path first, at the largest RTT (the least noisy in RTTs); virtual time when the path gave nothing.
        string? why = null;
        foreach (string row in new[] { "Transport QUIC, emulated path", "Transport QUIC, virtual time" })
        {
            foreach (int rtt in new[] { 100, 50, 20 })
            {
                if (!TryValue(table, row, $"RTT {rtt} in RTTs", out double rtts, out string? whyNot))
                {
                    why ??= whyNot;
                    continue;
                }
                bool met = rtts >= ZeroRttSavingRtts;
                string where = $"{row["Transport QUIC, ".Length..]}, RTT {rtt} ms";
                return new TargetResult(target, rtts, $"{rtts:0.00} RTT saved ({where})", 1, "1 RTT", rtts,
                    met ? TargetStatus.Met : TargetStatus.Missed,
                    met ? "met" : $"missed by {ZeroRttSavingRtts - rtts:0.00} RTT (needs ≥ {ZeroRttSavingRtts:0.00} RTT)");
            }
        }
        return NotMeasurable(target, why ?? "no figures");
    }

    private static TargetResult Bbr(IReadOnlyList<TourTable> tables, IReadOnlyCollection<string> sectionsRun)
    {
        string target = $"BBR goodput ≥ {BbrSharePercent:0} % of the bottleneck at 1 % random loss (congestion)";
        if (!sectionsRun.Contains(CongestionSection.Name)) return NotMeasured(target, CongestionSection.Name);
        TourTable? table = Find(tables, "congestion-loss1");
        if (table is null) return NotMeasurable(target, "table congestion-loss1 is missing");
        if (!TryValue(table, "Transport BBR", "of bottleneck", out double pct, out string? why)) return NotMeasurable(target, why!);
        table.Row("Transport BBR").Values.TryGetValue("goodput", out double mbps);
        bool met = pct >= BbrSharePercent;
        return new TargetResult(target, pct, $"{pct:0.0} % ({mbps:0.0} Mbit/s)", BbrSharePercent, $"{BbrSharePercent:0} % of 100 Mbit/s", pct / BbrSharePercent,
            met ? TargetStatus.Met : TargetStatus.Missed, met ? "met" : $"missed by {BbrSharePercent - pct:0.0} percentage points");
    }

    private static TargetResult IdleMemory(IReadOnlyList<TourTable> tables, IReadOnlyCollection<string> sectionsRun)
    {
        string target = $"Memory per idle connection ≤ {IdleMemoryKiB:0} KiB (scale, managed heap, server and client each)";
        if (!sectionsRun.Contains(ScaleSection.Name)) return NotMeasured(target, ScaleSection.Name);
        TourTable? table = Find(tables, "scale-memory-idle");
        if (table is null) return NotMeasurable(target, "table scale-memory-idle is missing");
        // The row with the most connections: the per-connection figure is least diluted by fixed costs there.
        TourRow? best = null;
        string? why = null;
        foreach (TourRow row in table.Rows)
        {
            if (row.Values.ContainsKey("server managed") && row.Values.ContainsKey("client managed"))
            {
                if (best is null || ConnectionCount(row.Contender) > ConnectionCount(best.Contender)) best = row;
            }
            else
            {
                why ??= row.Unavailable is not null ? $"{row.Contender} {row.Unavailable}"
                    : row.Error is not null ? $"{row.Contender} failed: {row.Error}" : $"{row.Contender} has no figures";
            }
        }
        if (best is null) return NotMeasurable(target, why ?? "no rows");
        double server = best.Values["server managed"], client = best.Values["client managed"];
        double worst = Math.Max(server, client);
        bool met = worst <= IdleMemoryKiB;
        string measured = $"server {server:0.0} KiB, client {client:0.0} KiB ({best.Contender["Transport QUIC · ".Length..]})";
        return new TargetResult(target, worst, measured, IdleMemoryKiB, $"{IdleMemoryKiB:0} KiB", worst / IdleMemoryKiB,
            met ? TargetStatus.Met : TargetStatus.Missed,
            met ? "met" : $"missed by {worst - IdleMemoryKiB:0.0} KiB ({(server > IdleMemoryKiB ? "server" : "")}{(server > IdleMemoryKiB && client > IdleMemoryKiB ? " and " : "")}{(client > IdleMemoryKiB ? "client" : "")})");
    }

    private static long ConnectionCount(string rowName)
    {
        string digits = new([.. rowName.Where(char.IsDigit)]);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0;
    }

    private static TourTable? Find(IReadOnlyList<TourTable> tables, string id)
    {
        foreach (TourTable t in tables) if (t.Id == id) return t;
        return null;
    }

    /// <summary>The figure of <paramref name="contender"/>, or why there is none (unavailable, failed, missing).</summary>
    private static bool TryValue(TourTable table, string contender, string metric, out double value, out string? why)
    {
        value = 0;
        why = null;
        TourRow? row = table.Rows.Find(r => r.Contender == contender);
        if (row is null) why = $"{contender} did not run";
        else if (row.Unavailable is not null) why = $"{contender} {row.Unavailable}";
        else if (row.Error is not null) why = $"{contender} failed: {row.Error}";
        else if (!row.Values.TryGetValue(metric, out value) || !double.IsFinite(value)) why = $"{contender} has no {metric} figure";
        return why is null;
    }

    private static string Format(double value, TourMetric metric) =>
        value.ToString("N" + metric.Decimals, CultureInfo.InvariantCulture) + " " + metric.Unit;

    private static TargetResult NotMeasured(string target, string section) =>
        new(target, null, "—", null, "—", null, TargetStatus.NotMeasured, $"not measured in this run (section {section} not run)");

    private static TargetResult NotMeasurable(string target, string reason, string measured = "—") =>
        new(target, null, measured, null, "—", null, TargetStatus.NotMeasurable, $"not measurable: {reason}");
}
