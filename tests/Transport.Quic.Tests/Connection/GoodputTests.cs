using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// The interop runner's goodput case (10 MB download, 10 Mbit/s, 30 ms RTT, 25-packet queue) in virtual time, with a
/// punctual driver and with one whose wake-ups are up to 10 ms late (a loaded machine's endpoint threads).
/// </summary>
public class GoodputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic, 0)]
    [InlineData(CongestionControlAlgorithm.Cubic, 10)]
    [InlineData(CongestionControlAlgorithm.NewReno, 0)]
    public void Runner_goodput_case_fills_nine_tenths_of_the_bottleneck(CongestionControlAlgorithm algorithm, int maxWakeLatencyMs)
    {
        using var run = new DownloadOverBottleneck(
            ConnectionPair.ClientOptions(o => o.CongestionControl = algorithm),
            ConnectionPair.ServerOptions(o => o.CongestionControl = algorithm),
            DownloadOverBottleneck.RunnerPath(), DownloadOverBottleneck.RunnerPath(), fileBytes: 10 << 20)
        { MaxWakeLatency = TimeSpan.FromMilliseconds(maxWakeLatencyMs) };
        Assert.True(run.Run(TimeSpan.FromSeconds(60)), string.Join("; ", run.Errors));
        var s = run.Server.GetStatistics();
        var c = run.Client.GetStatistics();
        output.WriteLine($"{algorithm}, wake-ups up to {maxWakeLatencyMs} ms late: goodput {run.GoodputBitsPerSecond / 1e6:F3} Mbit/s, queue drops {run.QueueDrops}, lost {s.PacketsLost}, cwnd {s.CongestionWindow}, srtt {s.SmoothedRtt.TotalMilliseconds:F1} ms, client packets {c.PacketsSent}, congestion events {s.CongestionEvents}, PTOs {s.ProbeTimeouts}");
        // Before the pacer caught up a late driver, CUBIC with wake-ups up to 10 ms late reached 7.8 Mbit/s: the
        // bucket (two datagrams at this rate) was all a wake-up could send. A punctual driver: 9.6 Mbit/s.
        Assert.True(run.GoodputBitsPerSecond >= 9_000_000, $"goodput {run.GoodputBitsPerSecond / 1e6:F3} Mbit/s");
    }
}
