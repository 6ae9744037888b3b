using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Transport.Bench.Quic;

/// <summary>
/// The connection's steady-state data path: 64 MB on one stream between two in-memory <c>QuicConnectionCore</c>s
/// (<see cref="InMemoryConnectionPair"/>; handshake and a 64 MB warm-up in the global setup). One operation is one
/// stream byte, so Mean is CPU nanoseconds per byte (client and server on one thread); the extra columns give Gbit/s
/// and bytes allocated per packet (Allocated per op times bytes per packet, packets counted in the setup). Run with
/// <c>dotnet run -c Release --project bench/Transport.Bench -- --filter '*ConnectionPair*'</c>; the quick form is
/// <c>-- connpair</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class ConnectionPairBenchmark
{
    private const long BytesPerInvoke = 64L << 20;
    private InMemoryConnectionPair _pair = null!;

    /// <summary>The maximum datagram size both sides use.</summary>
    [Params(1452)]
    public int MaxDatagramSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pair = new InMemoryConnectionPair(MaxDatagramSize);
        if (!_pair.Transfer(BytesPerInvoke)) throw new InvalidOperationException("warm-up stalled");
        // Packets per stream byte, for the per-packet column (a file, since the column runs in the host process).
        long p0 = _pair.ClientDatagrams + _pair.ServerDatagrams, b0 = _pair.BytesRead;
        if (!_pair.Transfer(BytesPerInvoke / 4)) throw new InvalidOperationException("calibration stalled");
        double bytesPerPacket = (_pair.BytesRead - b0) / (double)(_pair.ClientDatagrams + _pair.ServerDatagrams - p0);
        File.WriteAllText(BytesPerPacketColumn.PathFor(MaxDatagramSize), bytesPerPacket.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    /// <summary>Moves 64 MB of stream data client to server.</summary>
    [Benchmark(OperationsPerInvoke = (int)BytesPerInvoke)]
    public bool Transfer64MB()
    {
        if (!_pair.Transfer(BytesPerInvoke)) throw new InvalidOperationException("transfer stalled");
        return true;
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new BytesPerPacketColumn(gigabits: true), new BytesPerPacketColumn(gigabits: false));
        }
    }

    /// <summary>Gbit/s from ns per byte, and allocated bytes per packet from allocated per byte and bytes per packet.</summary>
    private sealed class BytesPerPacketColumn(bool gigabits) : IColumn
    {
        public static string PathFor(int mds) => Path.Combine(Path.GetTempPath(), $"transport-bench-connpair-{mds}.txt");

        public string Id => gigabits ? "ConnPair.Gbits" : "ConnPair.AllocPerPacket";
        public string ColumnName => gigabits ? "Gbit/s" : "Alloc B/packet";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => gigabits ? 0 : 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => gigabits ? "Single-core stream throughput: 8 / (ns per byte)" : "Bytes allocated per packet (both directions counted)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { Mean: > 0 } statistics) return "NA";
            if (gigabits) return (8 / statistics.Mean).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
            int mds = (int)benchmarkCase.Parameters["MaxDatagramSize"];
            if (!File.Exists(PathFor(mds))) return "NA";
            double bytesPerPacket = double.Parse(File.ReadAllText(PathFor(mds)), System.Globalization.CultureInfo.InvariantCulture);
            double perOp = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase) ?? 0;
            // GetBytesAllocatedPerOperation rounds to whole bytes per op; recompute from the totals.
            double total = report.GcStats.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: true) ?? 0;
            double perByte = report.GcStats.TotalOperations > 0 ? total / report.GcStats.TotalOperations : perOp;
            return (perByte * bytesPerPacket).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
