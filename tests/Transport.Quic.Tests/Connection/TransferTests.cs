using System.Diagnostics;
using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

public class TransferTests(ITestOutputHelper output)
{
    private void Report(ConnectionPair pair, Stopwatch sw)
    {
        var c = pair.Client.GetStatistics();
        var s = pair.Server.GetStatistics();
        output.WriteLine($"virtual {pair.Now.SinceZero.TotalSeconds - 1:F2} s, real {sw.Elapsed.TotalSeconds:F2} s, steps {pair.Steps}");
        output.WriteLine($"in HandleDatagram {pair.ReceiveTicks / (double)Stopwatch.Frequency:F2} s, in PollTransmit {pair.TransmitTicks / (double)Stopwatch.Frequency:F2} s");
        output.WriteLine($"client: {c}");
        output.WriteLine($"server: {s}");
    }

    [Fact]
    public void Ten_megabytes_in_both_directions_arrive_exactly_at_zero_loss()
    {
        var sw = Stopwatch.StartNew();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 200_000_000, QueueCapacityPackets = 1000 });
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 10 << 20);
        app.OpenStreams(1);
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
        Report(pair, sw);
        Assert.Empty(app.Errors);
        Assert.True(done);
    }

    [Fact]
    public void Sixteen_streams_complete_under_two_percent_loss()
    {
        var sw = Stopwatch.StartNew();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(15), LossRate = 0.02 }, seed: 7);
        Assert.True(pair.CompleteHandshake());
        output.WriteLine($"handshake real {sw.Elapsed.TotalSeconds:F2} s");
        var app = new TransferApp(pair, bytesPerStream: 64 << 10);
        app.OpenStreams(16);
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
        Report(pair, sw);
        Assert.Empty(app.Errors);
        Assert.True(done);
        Assert.True(pair.Client.GetStatistics().PacketsLost > 0);
    }
}

public class CongestionEventCountTests(ITestOutputHelper output)
{
    [Fact]
    public void A_burst_of_drop_tail_losses_counts_as_one_congestion_event_per_recovery_period()
    {
        // Slow start overshoots a 20-packet queue: dozens of packets are lost per overflow, reported across many ACKs.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.CongestionControl = Transport.Reliable.Congestion.CongestionControlAlgorithm.NewReno),
            ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 20_000_000, QueueCapacityPackets = 20, Mtu = 1500 }, seed: 3); // Mtu: an Ethernet path; PMTU discovery (it starts with the transfer) would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 4 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        var c = pair.Client.GetStatistics();
        output.WriteLine(c.ToString());
        Assert.True(c.PacketsLost >= 20, $"the queue should have overflowed: {c.PacketsLost} lost");
        Assert.InRange(c.CongestionEvents, 1, c.PacketsLost / 4);
    }
}
