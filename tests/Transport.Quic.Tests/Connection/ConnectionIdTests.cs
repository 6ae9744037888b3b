using Transport.Quic.Connection;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Connection;

public class ConnectionIdTests
{
    [Fact]
    public void Both_sides_issue_connection_ids_up_to_the_peers_limit()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.ActiveConnectionIdLimit = 3),
            ConnectionPair.ServerOptions(o => o.ActiveConnectionIdLimit = 5));
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(200), 10_000);
        var clientIssued = pair.ClientEvents.Where(e => e.Kind == ConnectionEventKind.ConnectionIdIssued).ToList();
        var serverIssued = pair.ServerEvents.Where(e => e.Kind == ConnectionEventKind.ConnectionIdIssued).ToList();
        Assert.Equal(4, clientIssued.Count); // the server stores 5: sequence 0 plus 4
        Assert.Equal(2, serverIssued.Count); // the client stores 3
        Assert.All(clientIssued.Concat(serverIssued), e => Assert.Equal(16, e.StatelessResetToken!.Length));
        Assert.Equal(5, pair.Client.ActiveLocalConnectionIds.Count);
        Assert.DoesNotContain(pair.ClientEvents, e => e.Kind == ConnectionEventKind.Closed && ConnectionTestExtensions.Log(e));
        Assert.DoesNotContain(pair.ServerEvents, e => e.Kind == ConnectionEventKind.Closed && ConnectionTestExtensions.Log(e));
    }

    [Fact]
    public void A_stateless_reset_from_the_peer_closes_the_connection()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        byte[] token = pair.Server.LocalTransportParameters.StatelessResetToken!;
        var reset = new byte[40];
        StatelessResetPacket.Write(reset, reset.Length, token);
        pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, reset);
        Assert.Contains(pair.Client.PollEvents(), e => e is { Kind: ConnectionEventKind.Closed, CloseSource: ConnectionCloseSource.StatelessReset });
        Assert.True(pair.Client.IsClosed);
    }

    [Fact]
    public void A_random_short_datagram_is_not_a_stateless_reset()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        var junk = new byte[40];
        new Random(1).NextBytes(junk);
        junk[0] = 0x40;
        pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, junk);
        Assert.False(pair.Client.IsClosed);
    }
}

internal static class ConnectionTestExtensions
{
    public static bool Log(ConnectionEvent e)
    {
        Console.WriteLine(e);
        return true;
    }

    public static List<ConnectionEvent> PollEvents(this QuicConnectionCore connection)
    {
        var list = new List<ConnectionEvent>();
        while (connection.PollEvent(out var e)) list.Add(e);
        return list;
    }
}
