using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

[Collection(AllocationCollection.Name)]
public class AllocationTests(ITestOutputHelper output)
{
    // Known rare failure (investigated, not fixed): in about 1 of 10-20 runs of this scenario on a fresh thread, with other
    // threads allocating, one HandleDatagram of the measured window allocates a few hundred bytes to a few KiB (480 B
    // most often, as in the CI failure), once. Nothing the connections keep changes then (reflection diff of both
    // cores before/after that call), the per-thread scratch arrays keep their lengths, no exception is thrown and no GC
    // runs during the call; timing splits put it inside OneRttKeys.TryOpen's AEAD step (AesGcm.Decrypt; header
    // protection and the frame handlers were clean), and decrypting out of place did not remove it. It comes mostly in
    // a process's first runs or after a gen2 GC (1 in 90 runs with DOTNET_TieredCompilation=0): a one-time event of
    // the runtime or the crypto library on that thread, not a per-packet allocation of ours.
    // Since 2026-11-22 these tests run alone (AllocationCollection): a CI run had one window allocate 119 KB in
    // HandleDatagram because a test class running in parallel drew on the same process-wide stream-chunk pool.
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // PollTransmitBatch, as the endpoint sends: header protection of up to 16 packets in one call
    public void Loss_free_steady_state_allocates_nothing_per_packet_on_send_and_receive(bool transmitBatch)
    {
        // 1 Gbit/s, 10 ms RTT (1.25 MB in flight to fill it), a queue too deep to overflow, and 256 KB stream windows
        // both ways: the flow-control window, not loss nor a standing queue, bounds what is in flight, so every pool,
        // ring and range set reaches its size during the warm-up. After it, building, sealing and recording packets
        // (PollTransmit) and opening them, reading their frames, processing ACKs and reassembling stream data
        // (HandleDatagram) must allocate nothing at all.
        static void Windows(ConnectionOptions o)
        {
            o.InitialMaxStreamData = o.MaxStreamReceiveWindow = 256 << 10;
            o.InitialMaxData = o.MaxReceiveWindow = 512 << 10;
        }
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(Windows), ConnectionPair.ServerOptions(Windows),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(5), BandwidthBitsPerSecond = 1_000_000_000, QueueCapacityPackets = 100_000, Mtu = 1500 }); // Mtu: an Ethernet path; PMTU discovery would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
        pair.UseTransmitBatch = transmitBatch;
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 12 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > (4 << 20)));
        var (rx, tx, packets) = MeasureWindow(pair, 8 << 20);
        Assert.Empty(app.Errors);
        Assert.True(packets > 2_000, $"only {packets} packets measured");
        if (rx != 0 || tx != 0)
        {
            // A per-packet allocation shows in every window; a one-time event inside the runtime does not repeat. Such an
            // event was seen once in many CI runs (480 B inside AesGcm.Decrypt, on a thread's first runs or after a gen2
            // GC, never in our code), so a second window decides.
            output.WriteLine("allocation in the first window; measuring a second one");
            (rx, tx, packets) = MeasureWindow(pair, 11 << 20);
            Assert.Empty(app.Errors);
        }
        Assert.True(tx == 0, $"PollTransmit allocated {tx} B over {packets} packets ({tx / (double)packets:F2} B/packet), in two windows in a row");
        Assert.True(rx == 0, $"HandleDatagram allocated {rx} B over {packets} packets ({rx / (double)packets:F2} B/packet), in two windows in a row");
    }

    private (long Rx, long Tx, long Packets) MeasureWindow(ConnectionPair pair, long untilBytesRead)
    {
        long packetsBefore = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent;
        long rx0 = pair.ReceiveAllocated, tx0 = pair.TransmitAllocated;
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > untilBytesRead));
        long packets = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent - packetsBefore;
        long rx = pair.ReceiveAllocated - rx0, tx = pair.TransmitAllocated - tx0;
        output.WriteLine($"HandleDatagram {rx} B, PollTransmit {tx} B over {packets} packets; lost {pair.Client.GetStatistics().PacketsLost}");
        return (rx, tx, packets);
    }

    /// <summary>
    /// Through a 50 Mbit/s bottleneck with a 100-packet queue the congestion controller loses packets again and again;
    /// each deeper loss episode may grow a range set or a loss list once (to a new high-water mark), nothing else.
    /// </summary>
    [Fact]
    public void Steady_state_transfer_allocates_little_per_packet_inside_the_connection()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 50_000_000, QueueCapacityPackets = 100, Mtu = 1500 }); // Mtu: an Ethernet path; PMTU discovery would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
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
