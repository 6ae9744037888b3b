using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Parameters;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

/// <summary>The server's preferred address (RFC 9000 §5.1.1, §9.6, §18.2) over the simulator, in virtual time.</summary>
public class PreferredAddressTests(ITestOutputHelper output)
{
    private static readonly IPEndPoint Preferred = new(IPAddress.Parse("10.0.0.3"), 4434);
    private static readonly IPEndPoint PreferredV6 = new(IPAddress.Parse("fd00::3"), 4434);

    private static readonly LinkConditions Link = new() { Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 20_000_000, QueueCapacityPackets = 1000 };

    private static bool HasEvent(List<ConnectionEvent> events, ConnectionEventKind kind) => events.Exists(e => e.Kind == kind);

    /// <summary>A pair whose server offers <see cref="Preferred"/>, with links between the client and it (lossy towards it when <paramref name="blackhole"/>).</summary>
    private static ConnectionPair PreferredPair(bool blackhole = false, Action<ConnectionOptions>? client = null, Action<ConnectionOptions>? server = null)
    {
        var pair = new ConnectionPair(ConnectionPair.ClientOptions(client), ConnectionPair.ServerOptions(o =>
        {
            o.PreferredAddressIPv4 = Preferred;
            server?.Invoke(o);
        }), Link);
        pair.Simulator.SetLink(ConnectionPair.ClientAddress, Preferred, blackhole ? Link with { LossRate = 1.0 } : Link);
        pair.Simulator.SetLink(Preferred, ConnectionPair.ClientAddress, Link);
        pair.ServerAliases.Add(Preferred);
        return pair;
    }

    [Fact]
    public void The_server_advertises_its_preferred_address_with_connection_id_sequence_one()
    {
        using var pair = PreferredPair();
        var pa = pair.Server.LocalTransportParameters.PreferredAddress;
        Assert.NotNull(pa);
        Assert.Equal(Preferred, pa.IPv4Endpoint);
        Assert.Null(pa.IPv6Endpoint);
        Assert.Equal(8, pa.ConnectionId.Length);
        Assert.NotEqual(pair.Server.LocalConnectionId, pa.ConnectionId);
        // The endpoint routes it from the start (ConnectionIdIssued), and it is among the server's issued IDs.
        Assert.Contains(pa.ConnectionId, pair.Server.ActiveLocalConnectionIds);
        Assert.True(pair.Server.PollEvent(out var issued));
        Assert.Equal(ConnectionEventKind.ConnectionIdIssued, issued.Kind);
        Assert.Equal(pa.ConnectionId, issued.ConnectionId);
        Assert.True(issued.StatelessResetToken.AsSpan().SequenceEqual(pa.StatelessResetToken.Span));
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.Equal(pa, pair.Client.PeerTransportParameters!.PreferredAddress);
        // Seq 1 plus NEW_CONNECTION_ID from seq 2 up to the client's limit, never more (RFC 9000 §5.1.1).
        Assert.Equal(pair.Client.LocalTransportParameters.ActiveConnectionIdLimit, (ulong)pair.Server.ActiveLocalConnectionIds.Count);
    }

    [Fact]
    public void Without_the_option_no_preferred_address_is_sent_and_a_client_never_sends_one()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.PreferredAddressIPv4 = Preferred), ConnectionPair.ServerOptions(), Link);
        Assert.Null(pair.Server.LocalTransportParameters.PreferredAddress);
        Assert.Null(pair.Client.LocalTransportParameters.PreferredAddress); // a server-only parameter (RFC 9000 §18.2)
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.Null(pair.Client.PreferredAddressChosen);
        Assert.Null(pair.Server.PeerTransportParameters!.PreferredAddress);
    }

    [Fact]
    public void Options_with_a_preferred_address_of_the_wrong_family_are_refused()
    {
        var bad4 = ConnectionPair.ServerOptions(o => o.PreferredAddressIPv4 = PreferredV6);
        Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateServer(bad4, ConnectionPair.ClientAddress, ConnectionId.NewRandom(8), default));
        var bad6 = ConnectionPair.ServerOptions(o => o.PreferredAddressIPv6 = Preferred);
        Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateServer(bad6, ConnectionPair.ClientAddress, ConnectionId.NewRandom(8), default));
    }

    [Fact]
    public void A_zero_length_preferred_address_connection_id_is_a_transport_parameter_error()
    {
        var p = new TransportParameters { InitialSourceConnectionId = ConnectionId.NewRandom(8), OriginalDestinationConnectionId = ConnectionId.NewRandom(8) };
        p.PreferredAddress = new PreferredAddress { IPv4Endpoint = Preferred, ConnectionId = new ConnectionId([1, 2, 3, 4]), StatelessResetToken = new byte[16] };
        byte[] encoded = p.Encode();
        // Rewrite the connection ID length inside preferred_address to 0 and drop its bytes: 4+2+16+2 bytes precede it.
        int at = IndexOf(encoded, [0x0d]);
        var bytes = new List<byte>(encoded);
        int valueStart = at + 2; // id 0x0d, one-byte length
        int cidLengthAt = valueStart + 24;
        Assert.Equal(4, bytes[cidLengthAt]);
        bytes.RemoveRange(cidLengthAt + 1, 4);
        bytes[cidLengthAt] = 0;
        bytes[at + 1] = (byte)(bytes[at + 1] - 4);
        Assert.False(TransportParameters.TryDecode(bytes.ToArray(), sentByServer: true, out _, out string? error));
        Assert.Contains("zero-length", error);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        // The parameter id 0x0d followed by its length (4+2+16+2+1+4+16 = 45).
        for (int i = 0; i + 1 < haystack.Length; i++) if (haystack[i] == needle[0] && haystack[i + 1] == 45) return i;
        throw new InvalidOperationException("preferred_address not found");
    }

    [Fact]
    public void The_client_moves_to_the_preferred_address_mid_transfer_and_the_data_keeps_flowing()
    {
        using var pair = PreferredPair();
        var pa = pair.Server.LocalTransportParameters.PreferredAddress!;
        var handshakeId = pair.Server.LocalConnectionId;
        var firstDcidToPreferred = default(string);
        bool serverFirstCarriedChallenge = false, sawServerFirst = false;
        int challengesSeen = 0;
        TransmitInfo last = default;
        pair.OnTransmit = (fromClient, info, length) =>
        {
            last = info;
            if (fromClient) return;
            int challenges = pair.Server.PathChallengesSentCount;
            if (Preferred.Equals(info.Source) && !sawServerFirst)
            {
                sawServerFirst = true;
                serverFirstCarriedChallenge = challenges > challengesSeen;
            }
            challengesSeen = challenges;
        };
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (fromClient && last.Destination.Equals(Preferred) && firstDcidToPreferred is null && (bytes[0] & 0x80) == 0)
                firstDcidToPreferred = Convert.ToHexString(bytes, 1, 8);
            return bytes;
        };
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 1 << 20);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => HasEvent(pair.ClientEvents, ConnectionEventKind.PathMigrated) || app.Errors.Count > 0, 200_000));
        Assert.False(app.IsComplete, "the move must happen mid-transfer");
        Assert.Equal(Preferred, pair.Client.RemoteEndPoint);
        Assert.Equal(pa.ConnectionId, pair.Client.RemoteConnectionId); // RFC 9000 §5.1.1: the preferred address' own ID
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        output.WriteLine($"client {pair.Client.GetStatistics()}\nserver {pair.Server.GetStatistics()}");
        Assert.Empty(app.Errors);
        // The server followed: it sends from the preferred address now, to the client's address, with a fresh ID.
        Assert.Equal(Preferred, pair.Server.LocalEndPoint);
        Assert.Equal(ConnectionPair.ClientAddress, pair.Server.RemoteEndPoint);
        Assert.True(HasEvent(pair.ServerEvents, ConnectionEventKind.PathMigrated));
        Assert.False(pair.Server.IsActivePathValidating);
        Assert.Equal(Convert.ToHexString(pa.ConnectionId.Span), firstDcidToPreferred);
        Assert.True(sawServerFirst);
        Assert.True(serverFirstCarriedChallenge, "the server's first datagram from the preferred address carries a PATH_CHALLENGE");
        Assert.Equal(0, pair.Client.PathValidationFailureCount);
        Assert.Equal(0, pair.Server.PathValidationFailureCount);
        // The client retired the handshake connection ID (sequence 0) once it moved (RFC 9000 §5.1.2).
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.ConnectionIdRetired && e.ConnectionId.Equals(handshakeId));
        Assert.DoesNotContain(handshakeId, pair.Server.ActiveLocalConnectionIds);
    }

    [Fact]
    public void A_blackholed_preferred_address_leaves_the_connection_on_the_original_path()
    {
        using var pair = PreferredPair(blackhole: true);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 512 << 10);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => HasEvent(pair.ClientEvents, ConnectionEventKind.PathValidationFailed) || app.Errors.Count > 0, 500_000));
        Assert.Equal(ConnectionPair.ServerAddress, pair.Client.RemoteEndPoint);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.Equal(ConnectionPair.ServerAddress, pair.Client.RemoteEndPoint);
        Assert.Null(pair.Server.LocalEndPoint);
        Assert.Equal(ConnectionPair.ClientAddress, pair.Server.RemoteEndPoint);
        Assert.False(HasEvent(pair.ClientEvents, ConnectionEventKind.PathMigrated));
        Assert.Equal(1, pair.Client.PathValidationFailureCount);
    }

    [Fact]
    public void A_client_that_does_not_follow_preferred_addresses_never_sends_there()
    {
        using var pair = PreferredPair(client: o => o.FollowPreferredAddress = false);
        int toPreferred = 0;
        pair.OnTransmit = (fromClient, info, _) => { if (fromClient && info.Destination.Equals(Preferred)) toPreferred++; };
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 128 << 10);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.Equal(0, toPreferred);
        Assert.Equal(ConnectionPair.ServerAddress, pair.Client.RemoteEndPoint);
    }

    [Fact]
    public void A_client_ignores_a_preferred_address_of_the_other_family()
    {
        using var pair = PreferredPair(server: o => { o.PreferredAddressIPv4 = null; o.PreferredAddressIPv6 = PreferredV6; });
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(500));
        Assert.Equal(PreferredV6, pair.Client.PeerTransportParameters!.PreferredAddress!.IPv6Endpoint);
        Assert.Null(pair.Client.PreferredAddressChosen);
        Assert.Equal(ConnectionPair.ServerAddress, pair.Client.RemoteEndPoint);
    }

    [Fact]
    public void After_the_move_the_client_can_still_migrate_actively()
    {
        var second = new IPEndPoint(IPAddress.Parse("10.0.1.1"), 50000);
        using var pair = PreferredPair();
        pair.Simulator.SetLink(second, Preferred, Link);
        pair.Simulator.SetLink(Preferred, second, Link);
        pair.ClientAliases.Add(second);
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.RunUntil(() => HasEvent(pair.ClientEvents, ConnectionEventKind.PathMigrated), 100_000));
        pair.RunFor(TimeSpan.FromMilliseconds(200));
        var dcid = pair.Client.RemoteConnectionId;
        Assert.True(pair.Client.TryMigrate(second));
        Assert.True(pair.RunUntil(() => pair.Client.LocalEndPoint is not null, 100_000));
        Assert.Equal(second, pair.Client.LocalEndPoint);
        Assert.Equal(Preferred, pair.Client.RemoteEndPoint);
        Assert.NotEqual(dcid, pair.Client.RemoteConnectionId);
        var app = new TransferApp(pair, bytesPerStream: 128 << 10);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.Equal(second, pair.Server.RemoteEndPoint);
        Assert.Equal(Preferred, pair.Server.LocalEndPoint);
    }

    [Theory]
    [InlineData(1, 0.02)]
    [InlineData(3, 0.10)]
    [InlineData(4, 0.20)]
    public void Under_loss_every_byte_arrives_once_and_the_connection_ends_on_a_validated_path(int seed, double loss)
    {
        var lossy = Link with { LossRate = loss };
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.PreferredAddressIPv4 = Preferred), lossy, seed);
        pair.Simulator.SetLink(ConnectionPair.ClientAddress, Preferred, lossy);
        pair.Simulator.SetLink(Preferred, ConnectionPair.ClientAddress, lossy);
        pair.ServerAliases.Add(Preferred);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 96 << 10);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        bool moved = HasEvent(pair.ClientEvents, ConnectionEventKind.PathMigrated);
        output.WriteLine($"seed {seed} loss {loss}: moved {moved}, client failures {pair.Client.PathValidationFailureCount}");
        // Either on the preferred address (and the server followed once it heard from there) or still on the original.
        if (moved)
        {
            Assert.Equal(Preferred, pair.Client.RemoteEndPoint);
            pair.RunFor(TimeSpan.FromSeconds(2)); // let the server hear a non-probing packet on the new path
            var keepAlive = new TransferApp(pair, bytesPerStream: 4 << 10);
            keepAlive.OpenStreams(1);
            Assert.True(pair.RunUntil(() => keepAlive.IsComplete || keepAlive.Errors.Count > 0));
            Assert.Empty(keepAlive.Errors);
            Assert.Equal(Preferred, pair.Server.LocalEndPoint);
        }
        else
        {
            Assert.Equal(ConnectionPair.ServerAddress, pair.Client.RemoteEndPoint);
            Assert.Null(pair.Server.LocalEndPoint);
        }
        Assert.False(pair.Client.IsActivePathValidating);
    }
}
