using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Qlog;
using Transport.Quic.Tests.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Qlog;

[Collection(AllocationCollection.Name)]
public class ConnectionQlogAllocationTests(ITestOutputHelper output)
{
    /// <summary>Writers over <see cref="Stream.Null"/>: every event is serialized and written, nothing is kept.</summary>
    private sealed class DiscardingFactory : IQlogWriterFactory
    {
        public List<QlogWriter> Writers { get; } = new();

        public QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime)
        {
            var writer = new QlogWriter(Stream.Null, vantagePoint, originalDestinationConnectionId, referenceTime);
            Writers.Add(writer);
            return writer;
        }
    }

    private sealed class NullFactory : IQlogWriterFactory
    {
        public int Calls { get; private set; }

        public QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime)
        {
            Calls++;
            return QlogWriter.Null;
        }
    }

    /// <summary>Bytes allocated per packet inside HandleDatagram and PollTransmit over one steady-state megabyte.</summary>
    private double SteadyStateBytesPerPacket(IQlogWriterFactory? qlog, string label)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Qlog = qlog), ConnectionPair.ServerOptions(o => o.Qlog = qlog),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 50_000_000, QueueCapacityPackets = 100, Mtu = 1500 }); // Mtu: an Ethernet path; PMTU discovery would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 4 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > (2 << 20))); // warm-up: pools, windows, JIT
        long packetsBefore = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent;
        long before = pair.ReceiveAllocated + pair.TransmitAllocated;
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead > (3 << 20)));
        long packets = pair.Client.GetStatistics().PacketsSent + pair.Server.GetStatistics().PacketsSent - packetsBefore;
        double perPacket = (pair.ReceiveAllocated + pair.TransmitAllocated - before) / (double)packets;
        output.WriteLine($"{label}: {perPacket:F2} B/packet over {packets} packets");
        return perPacket;
    }

    [Fact]
    public void Without_qlog_the_connection_allocates_nothing_for_it()
    {
        // Qlog null: one null check per event site. The steady state allocates (almost) nothing per packet, as without
        // the qlog wiring (AllocationTests holds the same bound for the default options).
        Assert.True(SteadyStateBytesPerPacket(null, "qlog off") < 8);

        // A factory that answers QlogWriter.Null is the same as none: the connection keeps no writer.
        var nullFactory = new NullFactory();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Qlog = nullFactory), ConnectionPair.ServerOptions());
        Assert.Equal(1, nullFactory.Calls);
        Assert.False(pair.Client.IsQlogEnabled);
        Assert.Null(pair.Client.QlogFailure);
    }

    [Fact]
    public void With_qlog_the_steady_state_allocates_little_per_packet()
    {
        var qlog = new DiscardingFactory();
        double perPacket = SteadyStateBytesPerPacket(qlog, "qlog to Stream.Null");
        Assert.Equal(2, qlog.Writers.Count);
        Assert.All(qlog.Writers, w => Assert.True(w.BytesWritten > 1_000_000, $"only {w.BytesWritten} bytes of qlog"));
        // Events are serialized into the writer's reused buffer: no more per packet than without qlog (2.8 B measured both ways).
        Assert.True(perPacket < 8, $"{perPacket:F1} bytes allocated per packet with qlog on");
    }
}
