using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Transport.Bench.Datagrams;

/// <summary>
/// Datagrams per second or Gbit/s, from the mean time per operation when one operation is one datagram
/// (benchmarks with OperationsPerInvoke = datagrams per invocation).
/// </summary>
internal sealed class ThroughputColumn(int datagramSize, bool gigabits) : IColumn
{
    public string Id => gigabits ? "Throughput.Gbits" : "Throughput.Datagrams";
    public string ColumnName => gigabits ? "Gbit/s" : "Datagrams/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => gigabits ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => gigabits
        ? $"Payload rate of {datagramSize}-byte datagrams: {datagramSize} * 8 / mean time per datagram"
        : "Datagrams sent and received per second on one thread: 1 / mean time per datagram";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null || statistics.Mean <= 0) return "NA";
        double perSecond = 1e9 / statistics.Mean; // Mean is in nanoseconds per operation
        return gigabits
            ? (perSecond * datagramSize * 8 / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)
            : perSecond.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
