using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// <see cref="QuicConnectionCore.PollTransmitBatch"/>: several datagrams per call, the header protection of their
/// 1-RTT packets applied together at the end. Every datagram must be as valid as one from PollTransmit.
/// </summary>
public class TransmitBatchTests
{
    [Fact]
    public void Sixteen_streams_complete_under_two_percent_loss_when_both_sides_send_in_batches()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(15), LossRate = 0.02, Mtu = 1500 }, seed: 11) { UseTransmitBatch = true };
        Assert.True(pair.CompleteHandshake()); // the handshake's coalesced long-header datagrams go through batches too
        var app = new TransferApp(pair, bytesPerStream: 128 << 10);
        app.OpenStreams(16);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.True(app.IsComplete);
        Assert.True(pair.Client.GetStatistics().PacketsLost > 0);
    }

    [Fact]
    public void Key_updates_during_a_batched_transfer_keep_the_data_intact()
    {
        // The Key Phase bit is set before sealing and masked by the batch's header protection afterwards.
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.KeyUpdateIntervalPackets = 300; o.EnablePathMtuDiscovery = false; }),
            ConnectionPair.ServerOptions(o => { o.KeyUpdateIntervalPackets = 500; o.EnablePathMtuDiscovery = false; }),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), LossRate = 0.005, ReorderRate = 0.01, ReorderDelay = TimeSpan.FromMilliseconds(5) }, seed: 3)
        { UseTransmitBatch = true };
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 2 << 20);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.True(pair.Client.GetStatistics().KeyUpdates >= 2, $"client key updates: {pair.Client.GetStatistics().KeyUpdates}");
        Assert.True(pair.Server.GetStatistics().KeyUpdates >= 2, $"server key updates: {pair.Server.GetStatistics().KeyUpdates}");
    }

    [Fact]
    public void One_call_writes_several_full_datagrams_that_the_peer_opens_and_only_the_last_may_be_paced_later()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.EnablePathMtuDiscovery = false),
            ConnectionPair.ServerOptions(o => o.EnablePathMtuDiscovery = false),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(5) });
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(bidirectional: false, out long id));
        pair.Client.WriteStream(id, new byte[200_000]);
        var buffer = new byte[QuicConnectionCore.MaxTransmitBatch * 1500];
        var lengths = new int[QuicConnectionCore.MaxTransmitBatch];
        var infos = new TransmitInfo[QuicConnectionCore.MaxTransmitBatch];
        Instant now = pair.Now;
        TimeSpan horizon = TimeSpan.FromMilliseconds(1);
        int count = pair.Client.PollTransmitBatch(now, buffer, lengths, infos, horizon);
        Assert.True(count > 1, $"{count} datagrams in the batch");
        for (int i = 0; i < count - 1; i++) Assert.True(infos[i].EarliestSendTime <= now + horizon);
        long received0 = pair.Server.GetStatistics().PacketsReceived, dropped0 = pair.Server.GetStatistics().PacketsDropped;
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            Assert.True(lengths[i] is > 1100 and <= 1200, $"datagram {i}: {lengths[i]} bytes"); // full (1200, the default size), less what a frame could not use
            pair.Server.HandleDatagram(now, ConnectionPair.ClientAddress, buffer.AsSpan(offset, lengths[i]));
            offset += lengths[i];
        }
        Assert.Equal(count, pair.Server.GetStatistics().PacketsReceived - received0); // every packet authenticated
        Assert.Equal(dropped0, pair.Server.GetStatistics().PacketsDropped);
    }
}
