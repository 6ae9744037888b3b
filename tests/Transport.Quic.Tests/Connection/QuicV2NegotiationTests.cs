using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;
using Transport.Quic.Tests.Endpoint;

namespace Transport.Quic.Tests.Connection;

/// <summary>QUIC v2 (RFC 9369) over whole connections, and compatible version negotiation (RFC 9368).</summary>
public class QuicV2NegotiationTests
{
    private const uint V1 = QuicVersion.Version1, V2 = QuicVersion.Version2;

    /// <summary>Records (fromClient, type, version) of every long-header packet put on the wire.</summary>
    private static List<(bool FromClient, PacketType Type, uint Version)> Record(ConnectionPair pair)
    {
        var seen = new List<(bool, PacketType, uint)>();
        pair.Rewrite = (fromClient, bytes) =>
        {
            int offset = 0;
            while (offset < bytes.Length && PacketHeaderBits.IsLongHeader(bytes[offset]))
            {
                if (!LongHeader.TryParse(bytes.AsSpan(offset), out var h)) break;
                seen.Add((fromClient, h.Type, h.Version));
                if (h.Type == PacketType.Retry || h.PacketLength <= 0) break;
                offset += h.PacketLength;
            }
            return bytes;
        };
        return seen;
    }

    private static (ConnectionPair Pair, List<(bool FromClient, PacketType Type, uint Version)> Wire) Pair(uint[] clientVersions, uint[] serverVersions, LinkConditions? link = null)
    {
        var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Versions = clientVersions), ConnectionPair.ServerOptions(o => o.Versions = serverVersions), link);
        return (pair, Record(pair));
    }

    private static void Transfer(ConnectionPair pair, int streams, long bytes)
    {
        var app = new TransferApp(pair, bytesPerStream: bytes);
        app.OpenStreams(streams);
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
        Assert.Empty(app.Errors);
        Assert.True(done, "transfer did not complete");
    }

    [Fact]
    public void V2_compatible_negotiation_from_v1_Initial_handshakes_and_transfers_in_v2()
    {
        var (pair, wire) = Pair([V1, V2], [V2, V1]);
        using var _ = pair;
        Assert.True(pair.CompleteHandshake(), "handshake did not complete");
        Transfer(pair, streams: 4, bytes: 100_000);

        Assert.Equal(V2, pair.Client.Version);
        Assert.Equal(V2, pair.Server.Version);
        Assert.Equal(V1, pair.Client.OriginalVersion);
        Assert.Equal(V1, pair.Server.OriginalVersion);
        // The interop runner's v2 check: client Initials start in v1, the server's Initials are v2, every Handshake packet is v2.
        Assert.Equal((true, PacketType.Initial, V1), wire[0]);
        Assert.Contains(wire, w => !w.FromClient && w.Type == PacketType.Initial && w.Version == V2);
        Assert.DoesNotContain(wire, w => !w.FromClient && w.Version != V2);
        Assert.DoesNotContain(wire, w => w.Type == PacketType.Handshake && w.Version != V2);
        Assert.Contains(wire, w => w.FromClient && w.Type == PacketType.Handshake);
        // Once it heard v2, the client's later Initials are v2 too (RFC 9369 §4).
        int firstServer = wire.FindIndex(w => !w.FromClient);
        Assert.Contains(wire.Skip(firstServer), w => w.FromClient && w.Type == PacketType.Initial && w.Version == V2);

        // version_information on both sides (RFC 9368 §3): the server's Chosen Version is v2.
        Assert.Equal(new VersionInformation(V2, V2, V1), pair.Client.PeerTransportParameters!.VersionInformation);
        Assert.Equal(new VersionInformation(V1, V1, V2), pair.Server.PeerTransportParameters!.VersionInformation);
    }

    [Fact]
    public void V2_negotiation_survives_loss_of_handshake_packets()
    {
        var (pair, wire) = Pair([V1, V2], [V2, V1], new LinkConditions { Delay = TimeSpan.FromMilliseconds(20), LossRate = 0.2 });
        using var _ = pair;
        pair.Drop = (fromClient, index) => index is 1 or 2; // the server's first flight
        Assert.True(pair.CompleteHandshake(), "handshake did not complete");
        Transfer(pair, streams: 2, bytes: 20_000);
        Assert.Equal(V2, pair.Client.Version);
        Assert.DoesNotContain(wire, w => w.Type == PacketType.Handshake && w.Version != V2);
    }

    [Fact]
    public void V2_negotiation_after_a_v1_Retry_keys_the_v2_Initials_from_the_Retry_connection_id()
    {
        // RFC 9369 §4: the Retry uses the original version; the switch comes after it.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Versions = [V1, V2]), ConnectionPair.ServerOptions(o => o.Versions = [V2, V1]), useRetry: true);
        var wire = Record(pair);
        Assert.True(pair.CompleteHandshake(), "handshake did not complete");
        Transfer(pair, streams: 1, bytes: 10_000);
        Assert.Equal(1, pair.RetrySentCount);
        Assert.Equal(V2, pair.Client.Version);
        Assert.Equal(V2, pair.Server.Version);
        Assert.DoesNotContain(wire, w => w.Type == PacketType.Handshake && w.Version != V2);
    }

    [Fact]
    public void V2_default_options_stay_on_v1_and_still_send_version_information()
    {
        var (pair, wire) = Pair(new ConnectionOptions().Versions, new ConnectionOptions().Versions);
        using var _ = pair;
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(V1, pair.Client.Version);
        Assert.Equal(V1, pair.Server.Version);
        Assert.All(wire, w => Assert.Equal(V1, w.Version));
        Assert.Equal(new VersionInformation(V1, V1, V2), pair.Client.PeerTransportParameters!.VersionInformation);
    }

    [Fact]
    public void V2_client_that_starts_in_v2_gets_v2_from_the_first_packet()
    {
        var (pair, wire) = Pair([V2], [V1, V2]);
        using var _ = pair;
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, streams: 1, bytes: 10_000);
        Assert.Equal(V2, pair.Server.Version);
        Assert.Equal(V2, pair.Server.OriginalVersion);
        Assert.All(wire, w => Assert.Equal(V2, w.Version));
    }

    [Fact]
    public void V2_server_that_prefers_v1_keeps_a_v2_capable_client_on_v1()
    {
        var (pair, wire) = Pair([V1, V2], [V1, V2]);
        using var _ = pair;
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(V1, pair.Client.Version);
        Assert.All(wire, w => Assert.Equal(V1, w.Version));
    }

    [Fact]
    public void V2_client_that_does_not_offer_v2_is_not_switched()
    {
        var (pair, wire) = Pair([V1], [V2, V1]);
        using var _ = pair;
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(V1, pair.Server.Version);
        Assert.All(wire, w => Assert.Equal(V1, w.Version));
    }

    [Fact]
    public void V2_only_client_to_v1_only_server_ends_with_Version_Negotiation_and_does_not_redial()
    {
        using var net = new EndpointNetwork();
        var serverAddress = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.100"), 4433);
        var clientAddress = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.1.1"), 50000);
        var server = net.Add(serverAddress, new QuicEndpointOptions
        {
            ServerConnectionOptions = ConnectionPair.ServerOptions(o => o.Versions = [V1]),
            SupportedVersions = [V1],
        });
        var clientEndpoint = net.Add(clientAddress, new QuicEndpointOptions());
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(o => o.Versions = [V2]), serverAddress, net.Now);

        Assert.True(net.RunUntil(() => net.Events.Exists(e => e.Connection == client && e.Event.Kind == ConnectionEventKind.Terminated)));
        var closed = net.Events.Find(e => e.Connection == client && e.Event.Kind == ConnectionEventKind.Closed).Event;
        Assert.Equal(ConnectionEventKind.Closed, closed.Kind);
        Assert.Equal(ConnectionCloseSource.VersionNegotiation, closed.CloseSource);
        Assert.Contains("0x00000001", closed.Reason);
        Assert.Contains(V1, client.VersionNegotiationVersions!);
        Assert.Equal(1, server.VersionNegotiationsSent);
        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(0, clientEndpoint.ConnectionCount);
        // Nothing more is sent: the client did not re-dial on its own.
        net.RunUntil(() => false, 1_000);
        Assert.Equal(1, server.VersionNegotiationsSent);
    }

    [Fact]
    public void V2_endpoint_serves_v2_clients_by_default()
    {
        using var net = new EndpointNetwork();
        var serverAddress = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.100"), 4433);
        var clientAddress = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.1.1"), 50000);
        var server = net.Add(serverAddress, new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions(o => o.Versions = [V2, V1]) });
        var clientEndpoint = net.Add(clientAddress, new QuicEndpointOptions());
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(o => o.Versions = [V1, V2]), serverAddress, net.Now);
        Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed));
        Assert.Equal(V2, client.Version);
        Assert.True(server.TryAccept(out var accepted));
        Assert.Equal(V2, accepted.Version);
        Assert.Equal(0, server.VersionNegotiationsSent);
    }

    [Fact]
    public void V2_Version_Negotiation_listing_the_clients_version_is_ignored()
    {
        // RFC 9000 §6.2: a Version Negotiation packet that lists the version the client chose is discarded.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Versions = [V2]), ConnectionPair.ServerOptions());
        byte[] vn = new byte[VersionNegotiationPacket.GetLength(8, 8, 2)];
        Assert.True(VersionNegotiationPacket.TryWrite(vn, pair.Client.LocalConnectionId.Span, pair.Client.OriginalDestinationConnectionId.Span, [V1, V2], 0, out int n));
        pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, vn.AsSpan(0, n));
        Assert.False(pair.Client.IsClosed);
        Assert.Null(pair.Client.VersionNegotiationVersions);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(V2, pair.Server.Version);
    }

    [Fact]
    public void V2_options_reject_unknown_versions()
    {
        var options = ConnectionPair.ClientOptions(o => o.Versions = [0x0a0a0a0a]);
        var e = Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateClient(options, ConnectionPair.ServerAddress, Transport.Core.Time.Instant.Zero));
        Assert.Contains("Versions", e.Message);
        options.Versions = [];
        Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateClient(options, ConnectionPair.ServerAddress, Transport.Core.Time.Instant.Zero));
    }

    [Theory]
    [InlineData(V1, V1, null, true)]                   // a v1 client may omit version_information
    [InlineData(V2, V2, null, false)]                  // RFC 9369 §4: v2 requires it
    [InlineData(V1, V1, new[] { V1, V2 }, true)]
    [InlineData(V1, V2, new[] { V2, V1 }, false)]      // Chosen Version is not the Initial's version
    [InlineData(V2, V2, new[] { V2 }, true)]
    public void V2_server_checks_the_clients_version_information(uint initialVersion, uint chosen, uint[]? available, bool ok)
    {
        var vi = available is null ? null : new VersionInformation(chosen, available);
        string? error = CompatibleVersionNegotiation.CheckClient(vi, initialVersion);
        Assert.Equal(ok, error is null);
    }

    [Theory]
    [InlineData(V1, new[] { V1, V2 }, new[] { V2, V1 }, V2)]  // the server's preference wins among the client's offers
    [InlineData(V1, new[] { V1, V2 }, new[] { V1, V2 }, V1)]
    [InlineData(V1, new[] { V1 }, new[] { V2, V1 }, V1)]      // not offered: no switch
    [InlineData(V2, new[] { V2, V1 }, new[] { V1, V2 }, V1)]  // compatible in both directions
    [InlineData(V1, new[] { V1, 0x1a2a3a4aU }, new[] { 0x1a2a3a4aU, V1 }, V1)] // unknown versions are never chosen
    public void V2_server_chooses_its_most_preferred_offered_version(uint original, uint[] clientAvailable, uint[] serverPreference, uint expected)
    {
        Assert.Equal(expected, CompatibleVersionNegotiation.Choose(new VersionInformation(original, clientAvailable), original, serverPreference));
        Assert.Equal(original, CompatibleVersionNegotiation.Choose(null, original, serverPreference));
    }

    [Theory]
    [InlineData(V1, V1, V1, null, true)]
    [InlineData(V2, V1, V2, null, false)]               // switched without version_information
    [InlineData(V2, V2, V2, null, false)]
    [InlineData(V2, V1, V2, new[] { V2, V1 }, true)]
    [InlineData(V2, V1, V1, new[] { V2, V1 }, false)]   // downgrade: the server claims v1 while packets are v2
    [InlineData(V1, V1, V2, new[] { V2, V1 }, false)]   // the server claims v2 but never switched the packets
    public void V2_client_checks_the_servers_version_information(uint inUse, uint original, uint chosen, uint[]? available, bool ok)
    {
        var vi = available is null ? null : new VersionInformation(chosen, available);
        Assert.Equal(ok, CompatibleVersionNegotiation.CheckServer(vi, inUse, original) is null);
    }

    [Fact]
    public void V2_version_information_round_trips_through_transport_parameters()
    {
        var p = new TransportParameters { VersionInformation = new VersionInformation(V1, V1, V2) };
        // The wire form (RFC 9368 §3): id 0x11, length 12, Chosen Version, then the Available Versions.
        byte[] encoded = p.Encode();
        Assert.Equal(Convert.FromHexString("110c00000001000000016b3343cf"), encoded);
        p.InitialSourceConnectionId = new Transport.Core.Wire.ConnectionId([1, 2, 3, 4]);
        Assert.True(TransportParameters.TryDecode(p.Encode(), sentByServer: false, out var back, out string? error), error);
        Assert.Equal(p.VersionInformation, back.VersionInformation);
    }
}
