using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

public class GoodputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic, 0)]
    [InlineData(CongestionControlAlgorithm.Bbr, 0)]
    [InlineData(CongestionControlAlgorithm.Bbr, 10)]
    [InlineData(CongestionControlAlgorithm.NewReno, 0)]
    [InlineData(CongestionControlAlgorithm.Cubic, 5)]
    [InlineData(CongestionControlAlgorithm.Cubic, 10)]
    public void Runner_goodput_case_in_virtual_time(CongestionControlAlgorithm algorithm, int latencyMs)
    {
        using var run = new DownloadOverBottleneck(
            ConnectionPair.ClientOptions(o => o.CongestionControl = algorithm),
            ConnectionPair.ServerOptions(o => o.CongestionControl = algorithm),
            DownloadOverBottleneck.RunnerPath(), DownloadOverBottleneck.RunnerPath(), fileBytes: 10 << 20)
        { MaxWakeLatency = TimeSpan.FromMilliseconds(latencyMs) };
        Assert.True(run.Run(TimeSpan.FromSeconds(60)), string.Join("; ", run.Errors));
        var s = run.Server.GetStatistics();
        var c = run.Client.GetStatistics();
        output.WriteLine($"{algorithm} latency {latencyMs} ms: goodput {run.GoodputBitsPerSecond / 1e6:F3} Mbit/s, queue drops {run.QueueDrops}, lost {s.PacketsLost}, spurious {s.SpuriousLosses}, cwnd {s.CongestionWindow}, srtt {s.SmoothedRtt.TotalMilliseconds:F1} ms, client acks sent {c.PacketsSent}, congestion events {s.CongestionEvents}, PTOs {s.ProbeTimeouts}");
    }
}
