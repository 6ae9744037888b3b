using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>Paths and refusals through <see cref="QuicEndpointCore"/>: routing follows a rebound client; refused clients hear why.</summary>
public class EndpointPathTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.100"), 4433);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.1.1"), 50000);
    private static readonly IPEndPoint Rebound = new(IPAddress.Parse("10.0.1.1"), 61000);

    [Fact]
    public void A_client_rebound_by_its_nat_mid_transfer_is_followed_by_the_server_endpoint()
    {
        using var net = new EndpointNetwork();
        var link = net.Simulator.DefaultConditions with { BandwidthBitsPerSecond = 20_000_000, QueueCapacityPackets = 1000 };
        net.Simulator.SetLink(ServerAddress, ClientAddress, link);
        net.Simulator.SetLink(ClientAddress, ServerAddress, link with { Rebinds = [new AddressRebind(Instant.FromMilliseconds(1_200), Rebound)] });
        var server = net.Add(ServerAddress, new QuicEndpointOptions
        {
            ServerConnectionOptions = ConnectionPair.ServerOptions(), Admission = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never },
        });
        var clientEndpoint = net.Add(ClientAddress, new QuicEndpointOptions());
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed));
        Assert.True(server.TryAccept(out var accepted));

        long received = 0;
        bool fin = false;
        var read = new byte[65536];
        net.OnEvent = (endpoint, connection, e) =>
        {
            if (connection != accepted || e.Kind != ConnectionEventKind.StreamReadable) return;
            while (true)
            {
                int n = connection.ReadStream(e.StreamId, read, out bool finished);
                received += n;
                fin |= finished;
                if (n == 0 || finished) break;
            }
        };
        Assert.True(client.TryOpenStream(true, out long id));
        const int Total = 1 << 20;
        client.WriteStream(id, new byte[Total], fin: true);
        Assert.True(net.RunUntil(() => net.Now >= Instant.FromMilliseconds(1_200)));
        Assert.False(fin, "the rebinding must happen mid-transfer");
        Assert.True(net.RunUntil(() => fin));
        Assert.Equal(Total, received);
        Assert.Equal(Rebound, accepted.RemoteEndPoint);
        Assert.Equal(1, accepted.PathMigrationCount);
        Assert.Equal(0, server.StatelessResetsSent);
        Assert.Equal(0, clientEndpoint.StatelessResetsSent);
        Assert.False(client.IsClosed);
        Assert.False(accepted.IsClosed);
    }

    [Fact]
    public void A_client_rebound_by_its_nat_during_the_handshake_completes_one_handshake_at_its_new_address()
    {
        // The NAT rebinds the client just after its first Initial reached the server: the server's first flight is
        // dropped at the NAT as stale, and the client's retransmitted Initial (still carrying the DCID it chose) arrives
        // from the new address. That must neither start a second handshake nor stall the first.
        using var net = new EndpointNetwork();
        var link = net.Simulator.DefaultConditions;
        net.Simulator.SetLink(ServerAddress, ClientAddress, link);
        net.Simulator.SetLink(ClientAddress, ServerAddress, link);
        var server = net.Add(ServerAddress, new QuicEndpointOptions
        {
            ServerConnectionOptions = ConnectionPair.ServerOptions(), Admission = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never },
        });
        int serverConnections = 0;
        net.OnEvent = (endpoint, connection, e) =>
        {
            if (endpoint.Equals(ServerAddress) && e.Kind == ConnectionEventKind.HandshakeCompleted) serverConnections++;
        };
        var client = net.Add(ClientAddress, new QuicEndpointOptions()).Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        Assert.True(net.RunUntil(() => server.ConnectionCount == 1));
        net.Simulator.SetLink(ClientAddress, ServerAddress, link with { Rebinds = [new AddressRebind(net.Now + TimeSpan.FromMilliseconds(1), Rebound)] });
        Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed || client.IsClosed));
        Assert.True(client.IsHandshakeConfirmed, "the handshake must survive the rebinding");
        Assert.True(server.TryAccept(out var accepted));
        Assert.False(server.TryAccept(out _), "one client, one connection: the Initial from the new address is not a second handshake");
        Assert.Equal(1, serverConnections);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(Rebound, accepted.RemoteEndPoint);
        Assert.True(1 == accepted.HandshakeAddressChangeCount, $"moves {accepted.HandshakeAddressChangeCount}, migrations {accepted.PathMigrationCount}, dropped {server.DroppedDatagrams}, now {net.Now}");
        Assert.Equal(0, server.StatelessResetsSent);
    }

    [Fact]
    public void A_refused_client_gets_connection_refused_in_an_initial_and_fails_fast()
    {
        using var net = new EndpointNetwork();
        var server = net.Add(ServerAddress, new QuicEndpointOptions
        {
            ServerConnectionOptions = ConnectionPair.ServerOptions(),
            Admission = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never, MaxHandshakes = 1 },
        });
        var first = net.Add(ClientAddress, new QuicEndpointOptions()).Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        var second = net.Add(new IPEndPoint(IPAddress.Parse("10.0.1.2"), 50000), new QuicEndpointOptions())
            .Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        Instant start = net.Now;
        Assert.True(net.RunUntil(() => second.IsClosed && first.IsHandshakeConfirmed));
        Assert.Equal(1, server.ConnectionClosesSent);
        Assert.True(net.Now - start < TimeSpan.FromSeconds(1), "the refusal must arrive within a round trip or so, not by timeout");
        var closed = net.Events.Find(e => e.Connection == second && e.Event.Kind == ConnectionEventKind.Closed).Event;
        Assert.Equal(ConnectionCloseSource.Peer, closed.CloseSource);
        Assert.Equal((ulong)TransportErrorCode.ConnectionRefused, closed.ErrorCode);
        Assert.False(closed.IsApplicationError);
        Assert.False(first.IsClosed);
    }
}
