using System.Net;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

public class QuicEndpointCoreTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.100"), 4433);

    private static IPEndPoint ClientAddress(int i) => new(IPAddress.Parse($"10.0.1.{i + 1}"), 50000 + i);

    private static QuicEndpointOptions ServerEndpointOptions(RetryMode retry = RetryMode.Never) => new()
    {
        ServerConnectionOptions = ConnectionPair.ServerOptions(),
        Admission = new HandshakeAdmissionOptions { RetryMode = retry },
    };

    /// <summary>Server side of every test: accept connections, read every stream to the end, count bytes per connection.</summary>
    private sealed class Sink
    {
        public readonly Dictionary<QuicConnectionCore, long> Received = new();
        public readonly HashSet<QuicConnectionCore> Finished = new();
        private readonly byte[] _read = new byte[65536];

        public void OnEvent(IPEndPoint endpoint, QuicConnectionCore connection, ConnectionEvent e)
        {
            if (!endpoint.Equals(ServerAddress) || e.Kind != ConnectionEventKind.StreamReadable) return;
            while (true)
            {
                int n = connection.ReadStream(e.StreamId, _read, out bool fin);
                Received[connection] = Received.GetValueOrDefault(connection) + n;
                if (fin) Finished.Add(connection);
                if (n == 0) break;
            }
        }
    }

    private static byte[] Payload(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void ManyClients_HandshakeAndTransfer_OnOneServerEndpoint()
    {
        using var net = new EndpointNetwork();
        var server = net.Add(ServerAddress, ServerEndpointOptions());
        var sink = new Sink();
        net.OnEvent = sink.OnEvent;
        var clients = new List<QuicConnectionCore>();
        for (int i = 0; i < 3; i++)
        {
            var endpoint = net.Add(ClientAddress(i), new QuicEndpointOptions());
            clients.Add(endpoint.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now));
        }
        // One client endpoint with two connections to the same server.
        var shared = net.Add(ClientAddress(10), new QuicEndpointOptions());
        clients.Add(shared.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now));
        clients.Add(shared.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now));

        Assert.True(net.RunUntil(() => clients.TrueForAll(c => c.IsHandshakeConfirmed)), "handshakes did not complete");
        var accepted = new List<QuicConnectionCore>();
        while (server.TryAccept(out var c)) accepted.Add(c);
        Assert.Equal(5, accepted.Count);
        Assert.Equal(5, server.ConnectionCount);
        Assert.Equal(0, server.Admission.HandshakesInFlight);
        Assert.Equal(0, server.Admission.PendingAccepts);
        Assert.Equal(0, server.DroppedDatagrams);

        for (int i = 0; i < clients.Count; i++)
        {
            Assert.True(clients[i].TryOpenStream(true, out long id));
            clients[i].WriteStream(id, Payload(50_000 + i * 1000, i), fin: true);
        }
        Assert.True(net.RunUntil(() => sink.Finished.Count == 5), "transfers did not finish");
        var expected = new List<long>();
        for (int i = 0; i < clients.Count; i++) expected.Add(50_000 + i * 1000);
        var got = new List<long>();
        foreach (var c in accepted) got.Add(sink.Received[c]);
        got.Sort();
        Assert.Equal(expected, got);
        foreach (var c in clients) Assert.Equal(0, c.GetStatistics().InternalErrors);
        foreach (var c in accepted) Assert.Equal(0, c.GetStatistics().InternalErrors);
    }

    [Fact]
    public void RetryAlways_HandshakeCompletesThroughRetry()
    {
        using var net = new EndpointNetwork(seed: 2);
        var server = net.Add(ServerAddress, ServerEndpointOptions(RetryMode.Always));
        var sink = new Sink();
        net.OnEvent = sink.OnEvent;
        var client = net.Add(ClientAddress(0), new QuicEndpointOptions()).Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed), "handshake through Retry did not complete");
        Assert.Equal(1, server.RetriesSent);
        Assert.True(server.TryAccept(out var accepted));
        Assert.True(accepted.IsAddressValidated);
        Assert.True(client.TryOpenStream(true, out long id));
        client.WriteStream(id, Payload(10_000, 3), fin: true);
        Assert.True(net.RunUntil(() => sink.Finished.Contains(accepted)));
        Assert.Equal(10_000, sink.Received[accepted]);
    }

    [Fact]
    public void UnknownVersion_GetsVersionNegotiation_AndNoConnection()
    {
        using var net = new EndpointNetwork();
        var server = net.Add(ServerAddress, ServerEndpointOptions());
        var probe = ClientAddress(5);
        var datagram = new byte[1200];
        datagram[0] = 0xC0;
        datagram[1] = 0x1a; datagram[2] = 0x2a; datagram[3] = 0x3a; datagram[4] = 0x4a; // an unsupported version
        datagram[5] = 8; // DCID length
        datagram[14] = 8; // SCID length
        server.HandleDatagram(net.Now, probe, datagram);
        Assert.Equal(1, server.VersionNegotiationsSent);
        var buffer = new byte[2048];
        int n = server.PollTransmit(net.Now, buffer, out var destination, out _);
        Assert.True(n > 0);
        Assert.Equal(probe, destination);
        Assert.Equal(0u, (uint)(buffer[1] << 24 | buffer[2] << 16 | buffer[3] << 8 | buffer[4])); // version 0: VN (RFC 8999 §6)
        Assert.Equal(0, server.PollTransmit(net.Now, buffer, out _, out _));
        Assert.Equal(0, server.ConnectionCount);

        // Too short for a VN (RFC 9000 §6.1): dropped.
        server.HandleDatagram(net.Now, probe, datagram.AsSpan(0, 1199));
        Assert.Equal(1, server.VersionNegotiationsSent);
    }

    [Fact]
    public void GarbageDatagrams_DoNotAffectOtherConnections()
    {
        using var net = new EndpointNetwork(seed: 4);
        var server = net.Add(ServerAddress, ServerEndpointOptions());
        var sink = new Sink();
        net.OnEvent = sink.OnEvent;
        var clients = new List<QuicConnectionCore>();
        for (int i = 0; i < 2; i++)
            clients.Add(net.Add(ClientAddress(i), new QuicEndpointOptions()).Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now));
        Assert.True(net.RunUntil(() => clients.TrueForAll(c => c.IsHandshakeConfirmed)));
        var accepted = new List<QuicConnectionCore>();
        while (server.TryAccept(out var c)) accepted.Add(c);

        var random = new Random(7);
        var attacker = ClientAddress(20);
        for (int i = 0; i < 300; i++)
        {
            var junk = new byte[random.Next(0, 1500)];
            random.NextBytes(junk);
            // Some with the real connections' IDs in place, to reach them with undecryptable bytes.
            if (junk.Length > 9 && i % 3 == 0)
            {
                junk[0] = (byte)(0x40 | (junk[0] & 0x3f));
                accepted[i % 2].LocalConnectionId.Span.CopyTo(junk.AsSpan(1));
            }
            if (i % 5 == 0 && junk.Length >= 1200) { junk[0] = 0xC0; junk[1] = 0; junk[2] = 0; junk[3] = 0; junk[4] = 1; }
            server.HandleDatagram(net.Now, i % 2 == 0 ? attacker : clients[i % 2].RemoteEndPoint, junk);
        }
        Assert.Equal(2, server.ConnectionCount);
        for (int i = 0; i < clients.Count; i++)
        {
            Assert.True(clients[i].TryOpenStream(true, out long id));
            clients[i].WriteStream(id, Payload(30_000, i), fin: true);
        }
        Assert.True(net.RunUntil(() => sink.Finished.Count == 2), "transfers did not finish after garbage");
        foreach (var c in accepted)
        {
            Assert.Equal(30_000, sink.Received[c]);
            Assert.False(c.IsClosed);
            Assert.Equal(0, c.GetStatistics().InternalErrors);
        }
    }

    [Fact]
    public void Shutdown_ClosesAllConnections_AndCompletes()
    {
        using var net = new EndpointNetwork(seed: 5);
        var server = net.Add(ServerAddress, ServerEndpointOptions());
        var clientEndpoint = net.Add(ClientAddress(0), new QuicEndpointOptions());
        var clients = new List<QuicConnectionCore>
        {
            clientEndpoint.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now),
            clientEndpoint.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now),
        };
        Assert.True(net.RunUntil(() => clients.TrueForAll(c => c.IsHandshakeConfirmed)));
        server.Shutdown(0, "bye");
        Assert.True(net.RunUntil(() => server.IsShutdownComplete && clientEndpoint.ConnectionCount == 0), "shutdown did not complete");
        foreach (var c in clients) Assert.True(c.IsTerminated);
        Assert.Contains(net.Events, e => e.Endpoint.Equals(ClientAddress(0)) && e.Event.Kind == ConnectionEventKind.Closed && e.Event.CloseSource == ConnectionCloseSource.Peer);
    }

    [Fact]
    public void ServerRestart_UnknownShortHeader_GetsStatelessReset_ClientEndsWithStatelessReset()
    {
        using var net = new EndpointNetwork(seed: 6);
        var resetKey = new StatelessResetTokenGenerator(new byte[StatelessResetTokenGenerator.KeyLength]);
        var options = ServerEndpointOptions();
        options.StatelessResetTokens = resetKey;
        var server = net.Add(ServerAddress, options);
        var clientEndpoint = net.Add(ClientAddress(0), new QuicEndpointOptions());
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), ServerAddress, net.Now);
        Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed));
        Assert.True(server.TryAccept(out _));

        // The server restarts with the same reset key and no connection state (with another key the client would
        // only time out: this test fails then).
        var restartedOptions = ServerEndpointOptions();
        restartedOptions.StatelessResetTokens = resetKey;
        var restarted = net.Restart(ServerAddress, restartedOptions);
        Assert.True(client.TryOpenStream(true, out long id));
        client.WriteStream(id, Payload(5_000, 1), fin: true);
        Assert.True(net.RunUntil(() => client.IsTerminated), "the client never terminated");
        Assert.True(restarted.StatelessResetsSent >= 1);
        Assert.Contains(net.Events, e => e.Connection == client && e.Event.Kind == ConnectionEventKind.Closed && e.Event.CloseSource == ConnectionCloseSource.StatelessReset);
        Assert.Equal(0, clientEndpoint.ConnectionCount);
        Assert.Equal(0, restarted.ConnectionCount);
    }

    [Fact]
    public void Connect_WithMismatchedConnectionIdLength_Throws()
    {
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        var options = ConnectionPair.ClientOptions(o => o.ConnectionIdLength = 12);
        var ex = Assert.Throws<ArgumentException>(() => endpoint.Connect(options, ServerAddress, Instant.Zero));
        Assert.Contains("ConnectionIdLength", ex.Message);
    }
}
