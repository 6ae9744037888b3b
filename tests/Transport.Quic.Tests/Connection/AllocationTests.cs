using Transport.Core.Simulation;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

public class AllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void Steady_state_transfer_allocates_little_per_packet_inside_the_connection()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 50_000_000, QueueCapacityPackets = 100 });
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 4 << 20);
        app.OpenStreams(1);
        // Warm up: the first megabytes grow pools, rings, windows and the JIT.
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > (2 << 20)));
        long packetsBefore = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent;
        long rx0 = pair.ReceiveAllocated, tx0 = pair.TransmitAllocated;
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > (3 << 20)));
        long packets = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent - packetsBefore;
        long rx = pair.ReceiveAllocated - rx0, tx = pair.TransmitAllocated - tx0;
        double perPacket = (rx + tx) / (double)packets;
        output.WriteLine($"HandleDatagram {rx} B, PollTransmit {tx} B over {packets} packets: {perPacket:F1} B/packet");
        Assert.True(perPacket < 8, $"{perPacket:F1} bytes allocated per packet");
    }
}
