using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

public class AckOnlyTests(ITestOutputHelper output)
{
    /// <summary>
    /// RFC 9000 §13.2.1: a non-ack-eliciting packet is never sent in response to a non-ack-eliciting one. Both sides
    /// send a stream at once and keep running into small flow-control windows, so each often has stream data queued
    /// but no credit: it must not answer the peer's ACK-only packets with ACK-only packets of its own (two such peers
    /// would trade them without end). About one ACK-only packet per two data packets received is what is expected.
    /// </summary>
    [Fact]
    public void Flow_control_blocked_peers_do_not_trade_ack_only_packets()
    {
        static void Windows(ConnectionOptions o)
        {
            o.InitialMaxStreamData = o.MaxStreamReceiveWindow = 64 << 10;
            o.InitialMaxData = o.MaxReceiveWindow = 128 << 10;
        }
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(Windows), ConnectionPair.ServerOptions(Windows),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(5), BandwidthBitsPerSecond = 1_000_000_000, QueueCapacityPackets = 100_000 });
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 2 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete));
        Assert.Empty(app.Errors);
        foreach (var connection in new[] { pair.Client, pair.Server })
        {
            var s = connection.GetStatistics();
            long dataPackets = s.StreamBytesSent / 1000 + 1; // at most 1200-byte datagrams: over 1000 stream bytes each
            output.WriteLine($"{(connection.IsServer ? "server" : "client")}: {s.PacketsSent} packets sent for {s.StreamBytesSent} stream bytes, {s.PacketsReceived} received");
            Assert.True(s.PacketsSent < dataPackets * 2, $"{s.PacketsSent} packets sent for about {dataPackets} data packets");
        }
    }
}
