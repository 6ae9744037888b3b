using BenchmarkDotNet.Configs;

namespace Transport.Bench.Datagrams;

/// <summary>Adds the datagrams/s and Gbit/s columns to the datagram benchmarks.</summary>
internal sealed class DatagramBenchmarkConfig : ManualConfig
{
    public DatagramBenchmarkConfig()
    {
        AddColumn(
            new ThroughputColumn(DatagramLoopbackBenchmarks.DatagramSize, gigabits: false),
            new ThroughputColumn(DatagramLoopbackBenchmarks.DatagramSize, gigabits: true));
    }
}
