using System.Text.Json.Nodes;
using Transport.Bench.Tour;

namespace Transport.Bench.Tests;

/// <summary>The tour's target summary computed from synthetic figures: verdicts, gaps, and the reasons for no verdict.</summary>
public class TourTargetsTests
{
    private static readonly string[] AllSections = TourOptions.Sections;

    private static TourTable Loopback(string id, string metric, bool higherIsBetter, double ours, double? tcpTls, double? systemQuic, string? systemQuicUnavailable = null)
    {
        var table = new TourTable(LoopbackSection.Name, id, id, "", [new TourMetric(metric, "u", higherIsBetter, 2)]);
        table.Row("kernel TCP").Values[metric] = 1;
        if (tcpTls is double t) table.Row(TourTargets.TcpTls).Values[metric] = t;
        table.Row(TourTargets.Ours).Values[metric] = ours;
        TourRow sq = table.Row(TourTargets.SystemNetQuic);
        if (systemQuic is double s) sq.Values[metric] = s;
        else sq.Unavailable = systemQuicUnavailable ?? "not available (libmsquic not installed)";
        return table;
    }

    private static List<TourTable> FullRun(double bulkOurs = 5, double bulkSq = 4, double bulkTls = 8, double p50Ours = 30, double p50Sq = 40,
        double hsOurs = 400, double hsSq = 300, double zeroRttRtts = 1.1, double bbrShare = 92.6, double serverKiB = 12, double clientKiB = 14)
    {
        var saving = new TourTable(SetupSection.Name, "setup-zero-rtt-saving", "", "",
            [new TourMetric("RTT 100", "ms", true, 1), new TourMetric("RTT 100 in RTTs", "RTT", true, 2)]);
        saving.Row("Transport QUIC, emulated path").Values["RTT 100 in RTTs"] = zeroRttRtts;
        saving.Row("Transport QUIC, virtual time").Values["RTT 100 in RTTs"] = 1.0;
        var loss1 = new TourTable(CongestionSection.Name, "congestion-loss1", "", "", [new TourMetric("goodput", "Mbit/s", true, 1), new TourMetric("of bottleneck", "%", true, 1)]);
        loss1.Row("Transport CUBIC").Values["of bottleneck"] = 3;
        loss1.Row("Transport BBR").Values["of bottleneck"] = bbrShare;
        loss1.Row("Transport BBR").Values["goodput"] = bbrShare;
        var idle = new TourTable(ScaleSection.Name, "scale-memory-idle", "", "", [new TourMetric("server managed", "KiB", false, 1), new TourMetric("client managed", "KiB", false, 1)]);
        idle.Row("Transport QUIC · 1,000 connections").Values["server managed"] = 100; // diluted less: the larger row wins
        idle.Row("Transport QUIC · 1,000 connections").Values["client managed"] = 100;
        idle.Row("Transport QUIC · 10,000 connections").Values["server managed"] = serverKiB;
        idle.Row("Transport QUIC · 10,000 connections").Values["client managed"] = clientKiB;
        return
        [
            Loopback("loopback-bulk", "throughput", true, bulkOurs, bulkTls, bulkSq),
            Loopback("loopback-rr", "p50", false, p50Ours, 20, p50Sq),
            Loopback("loopback-handshakes", "rate", true, hsOurs, 200, hsSq),
            saving, loss1, idle,
        ];
    }

    [Fact]
    public void EveryTargetMet_WhenEveryFigureIsGoodEnough()
    {
        List<TargetResult> results = TourTargets.Evaluate(FullRun(), AllSections);
        Assert.Equal(7, results.Count);
        Assert.All(results, r => Assert.Equal(TargetStatus.Met, r.Status));
        Assert.All(results, r => Assert.Equal("met", r.Verdict));
        Assert.Equal(5.0 / 4, results[0].Ratio!.Value, 6);
        Assert.Equal(5.0 / 8, results[1].Ratio!.Value, 6);
    }

    [Fact]
    public void BulkBelowOnePointTwoFiveTimesSystemNetQuic_MissedByTheGap()
    {
        // 1.25 × 4 = 5 needed, 4.5 measured: missed by 0.5 (10 % of what is needed).
        TargetResult r = TourTargets.Evaluate(FullRun(bulkOurs: 4.5), AllSections)[0];
        Assert.Equal(TargetStatus.Missed, r.Status);
        Assert.Equal(4.5, r.Measured);
        Assert.Equal(4, r.Reference);
        Assert.Equal(1.125, r.Ratio!.Value, 6);
        Assert.StartsWith("missed by 0.50 u (10 % of the 5.00 u needed)", r.Verdict);
    }

    [Fact]
    public void ExactlyOnThreshold_IsMet()
    {
        List<TargetResult> results = TourTargets.Evaluate(FullRun(bulkOurs: 5, bulkSq: 4, bulkTls: 5 / 0.6, p50Ours: 40, hsOurs: 300, bbrShare: 90, serverKiB: 16, clientKiB: 16, zeroRttRtts: 0.95), AllSections);
        Assert.All(results, r => Assert.Equal(TargetStatus.Met, r.Status));
    }

    [Fact]
    public void LowerIsBetter_P50AboveSystemNetQuic_Missed()
    {
        TargetResult r = TourTargets.Evaluate(FullRun(p50Ours: 50, p50Sq: 40), AllSections)[2];
        Assert.Equal(TargetStatus.Missed, r.Status);
        Assert.Equal(1.25, r.Ratio!.Value, 6);
        Assert.StartsWith("missed by 10.00 u", r.Verdict);
    }

    [Fact]
    public void SystemNetQuicUnavailable_NotMeasurableWithItsReason_TcpTlsTargetStillJudged()
    {
        var tables = FullRun();
        tables[0] = Loopback("loopback-bulk", "throughput", true, 5, 8, null);
        tables[1] = Loopback("loopback-rr", "p50", false, 30, 20, null);
        tables[2] = Loopback("loopback-handshakes", "rate", true, 400, 200, null);
        List<TargetResult> results = TourTargets.Evaluate(tables, AllSections);
        foreach (int i in new[] { 0, 2, 3 })
        {
            Assert.Equal(TargetStatus.NotMeasurable, results[i].Status);
            Assert.Equal("not measurable: System.Net.Quic not available (libmsquic not installed)", results[i].Verdict);
            Assert.Null(results[i].Ratio);
        }
        Assert.Equal(TargetStatus.Met, results[1].Status);
    }

    [Fact]
    public void OursFailed_NotMeasurableSaysSo()
    {
        var tables = FullRun();
        TourRow ours = tables[2].Row(TourTargets.Ours);
        ours.Values.Clear();
        ours.Error = "abandoned after 31 s (hung)";
        TargetResult r = TourTargets.Evaluate(tables, AllSections)[3];
        Assert.Equal(TargetStatus.NotMeasurable, r.Status);
        Assert.Contains("Transport QUIC failed: abandoned after 31 s (hung)", r.Verdict);
    }

    [Fact]
    public void PartialRun_OtherTargetsNotMeasuredInThisRun()
    {
        var loopbackOnly = FullRun().Where(t => t.Section == LoopbackSection.Name).ToList();
        List<TargetResult> results = TourTargets.Evaluate(loopbackOnly, [LoopbackSection.Name]);
        Assert.Equal(7, results.Count);
        Assert.All(results.Take(4), r => Assert.Equal(TargetStatus.Met, r.Status));
        Assert.Equal("not measured in this run (section setup not run)", results[4].Verdict);
        Assert.Equal("not measured in this run (section congestion not run)", results[5].Verdict);
        Assert.Equal("not measured in this run (section scale not run)", results[6].Verdict);
        Assert.All(results.Skip(4), r => Assert.Equal(TargetStatus.NotMeasured, r.Status));
    }

    [Fact]
    public void ZeroRtt_UsesTheEmulatedPath_AndFallsBackToVirtualTime()
    {
        TargetResult missed = TourTargets.Evaluate(FullRun(zeroRttRtts: 0.4), AllSections)[4];
        Assert.Equal(TargetStatus.Missed, missed.Status);
        Assert.Equal("missed by 0.55 RTT (needs ≥ 0.95 RTT)", missed.Verdict);

        var tables = FullRun();
        TourTable saving = tables.Single(t => t.Id == "setup-zero-rtt-saving");
        saving.Row("Transport QUIC, emulated path").Values.Clear();
        saving.Row("Transport QUIC, emulated path").Error = "needs root";
        TargetResult fallback = TourTargets.Evaluate(tables, AllSections)[4];
        Assert.Equal(TargetStatus.Met, fallback.Status);
        Assert.Contains("virtual time", fallback.MeasuredText);
    }

    [Fact]
    public void Bbr_BelowNinetyPercent_MissedByPercentagePoints()
    {
        TargetResult r = TourTargets.Evaluate(FullRun(bbrShare: 63.5), AllSections)[5];
        Assert.Equal(TargetStatus.Missed, r.Status);
        Assert.Equal("missed by 26.5 percentage points", r.Verdict);
    }

    [Fact]
    public void IdleMemory_JudgesTheLargestRow_AndNamesTheSideOverBudget()
    {
        TargetResult r = TourTargets.Evaluate(FullRun(serverKiB: 12, clientKiB: 21.5), AllSections)[6];
        Assert.Equal(TargetStatus.Missed, r.Status);
        Assert.Equal(21.5, r.Measured);
        Assert.Equal("missed by 5.5 KiB (client)", r.Verdict);
        Assert.Contains("10,000 connections", r.MeasuredText);
    }

    [Fact]
    public void MarkdownAndJson_CarryEveryTarget()
    {
        List<TargetResult> results = TourTargets.Evaluate(FullRun(bulkOurs: 4.5, bulkTls: 7), [LoopbackSection.Name, CongestionSection.Name]);
        string md = TourTargets.RenderMarkdown(results);
        Assert.StartsWith("## Targets", md);
        Assert.Equal(7, md.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| target", StringComparison.Ordinal)));
        Assert.Contains("| missed by 0.50 u", md);
        Assert.Contains("4 of 5 judged targets met; 2 not judged in this run.", md);

        JsonArray json = ResultsJsonWriter.Targets(results);
        Assert.Equal(7, json.Count);
        Assert.Equal("missed", (string?)json[0]!["status"]);
        Assert.Equal("not measured", (string?)json[4]!["status"]);
        Assert.Equal(4.5, (double?)json[0]!["measured"]);
    }
}
