using System.Net;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>
/// The endpoint serves only connections that may have work (ready queue) and keeps their deadlines in a heap: an idle
/// connection costs nothing per poll, timers fire earliest first, busy connections still take turns.
/// </summary>
public class QuicEndpointCoreSchedulingTests
{
    private static IPEndPoint Remote(int i) => new(IPAddress.Parse($"10.7.{i / 200}.{i % 200 + 1}"), 4433);

    private static int DrainTransmit(QuicEndpointCore endpoint, Instant now, byte[] buffer, List<IPEndPoint>? destinations = null)
    {
        int count = 0;
        while (endpoint.PollTransmit(now, buffer, out IPEndPoint destination, out _) is > 0)
        {
            destinations?.Add(destination);
            count++;
        }
        return count;
    }

    [Fact]
    public void IdleConnections_AreNotAskedWhenAnotherConnectionPolls()
    {
        const int Idle = 1_000;
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        var buffer = new byte[65536];
        Instant now = Instant.FromMilliseconds(1_000);
        var connections = new List<QuicConnectionCore>(Idle);
        for (int i = 0; i < Idle; i++) connections.Add(endpoint.Connect(ConnectionPair.ClientOptions(), Remote(i), now));
        // Every new connection sends its Initial once; afterwards all wait for their PTO (no server answers).
        Assert.True(DrainTransmit(endpoint, now, buffer) >= Idle);
        Assert.Equal(0, endpoint.ReadyCount);

        long polls = endpoint.ConnectionPolls, reads = endpoint.ConnectionTimeoutReads;
        Assert.Equal(0, endpoint.PollTransmit(now, buffer, out _, out _));
        Assert.NotNull(endpoint.NextTimeout());
        Assert.Equal(polls, endpoint.ConnectionPolls); // the old scan asked all 1,000
        Assert.Equal(reads, endpoint.ConnectionTimeoutReads);

        // The application drives one connection: only it is drained and asked.
        var active = connections[517];
        active.Close(0, "bye");
        endpoint.MarkActive(active);
        Assert.True(DrainTransmit(endpoint, now, buffer) >= 1);
        Assert.NotNull(endpoint.NextTimeout());
        Assert.InRange(endpoint.ConnectionPolls - polls, 1, 3);
        Assert.InRange(endpoint.ConnectionTimeoutReads - reads, 1, 4);

        // Nothing is due before the earliest PTO: a timer pass touches no connection.
        polls = endpoint.ConnectionPolls;
        endpoint.HandleTimeout(now + TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, endpoint.PollTransmit(now + TimeSpan.FromMilliseconds(1), buffer, out _, out _));
        Assert.Equal(polls, endpoint.ConnectionPolls);
    }

    [Fact]
    public void NextTimeout_IsTheEarliestConnectionDeadline_AndTracksRemoval()
    {
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        var buffer = new byte[65536];
        Instant now = Instant.FromMilliseconds(1_000);
        var connections = new List<QuicConnectionCore>();
        for (int i = 0; i < 20; i++)
        {
            int rtt = 50 + (i * 7 % 20) * 10;
            connections.Add(endpoint.Connect(ConnectionPair.ClientOptions(o => o.InitialRtt = TimeSpan.FromMilliseconds(rtt)), Remote(i), now));
        }
        DrainTransmit(endpoint, now, buffer);
        Instant Earliest() => connections.Where(c => !c.IsTerminated).Select(c => c.NextTimeout()!.Value).Min();
        Assert.Equal(Earliest(), endpoint.NextTimeout());

        // Terminate the earliest one (close, then run out its closing period): the endpoint forgets its deadline.
        var first = connections.OrderBy(c => c.NextTimeout()!.Value).First();
        first.Close(0, null);
        endpoint.MarkActive(first);
        DrainTransmit(endpoint, now, buffer);
        for (int guard = 0; guard < 100 && !first.IsTerminated; guard++)
        {
            Instant t = first.NextTimeout()!.Value;
            endpoint.HandleTimeout(t > now ? t : now);
            if (t > now) now = t;
            DrainTransmit(endpoint, now, buffer);
        }
        Assert.True(first.IsTerminated);
        Assert.Equal(19, endpoint.ConnectionCount);
        Assert.Equal(Earliest(), endpoint.NextTimeout());
    }

    [Fact]
    public void Timers_FireInDeadlineOrder_NotCreationOrder()
    {
        const int Count = 40;
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        var buffer = new byte[65536];
        Instant now = Instant.FromMilliseconds(1_000);
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(7).Shuffle(order);
        var remoteByRank = new Dictionary<IPEndPoint, int>();
        for (int i = 0; i < Count; i++)
        {
            // A distinct initial RTT per connection gives distinct PTO deadlines, in an order unlike creation's.
            int rank = order[i];
            var connection = endpoint.Connect(ConnectionPair.ClientOptions(o => o.InitialRtt = TimeSpan.FromMilliseconds(100 + rank * 5)), Remote(i), now);
            remoteByRank[Remote(i)] = rank;
        }
        DrainTransmit(endpoint, now, buffer);

        // Every PTO is due long before this: one timer pass fires them all, earliest first; each then sends its probe,
        // and the ready queue keeps the firing order.
        Instant late = now + TimeSpan.FromSeconds(5);
        endpoint.HandleTimeout(late);
        var destinations = new List<IPEndPoint>();
        DrainTransmit(endpoint, late, buffer, destinations);
        var firstSeen = new List<int>();
        var seen = new HashSet<IPEndPoint>();
        foreach (var d in destinations)
            if (seen.Add(d)) firstSeen.Add(remoteByRank[d]);
        Assert.Equal(Enumerable.Range(0, Count), firstSeen);
    }

    [Fact]
    public void BusyConnections_TakeTurns_OneDatagramEach()
    {
        var serverA = new IPEndPoint(IPAddress.Parse("10.0.0.100"), 4433);
        var serverB = new IPEndPoint(IPAddress.Parse("10.0.0.101"), 4433);
        var clientAddress = new IPEndPoint(IPAddress.Parse("10.0.1.1"), 50000);
        using var net = new EndpointNetwork();
        foreach (var s in new[] { serverA, serverB })
            net.Add(s, new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions() });
        var client = net.Add(clientAddress, new QuicEndpointOptions());
        // Many idle connections on the same client endpoint must not disturb the turns.
        for (int i = 0; i < 50; i++) client.Connect(ConnectionPair.ClientOptions(o => o.IdleTimeout = TimeSpan.FromMinutes(10)), Remote(i), net.Now);
        var a = client.Connect(ConnectionPair.ClientOptions(), serverA, net.Now);
        var b = client.Connect(ConnectionPair.ClientOptions(), serverB, net.Now);
        Assert.True(net.RunUntil(() => a.IsHandshakeConfirmed && b.IsHandshakeConfirmed), "handshakes did not complete");

        var payload = new byte[200_000];
        foreach (var c in new[] { a, b })
        {
            Assert.True(c.TryOpenStream(true, out long id));
            c.WriteStream(id, payload, fin: false);
            client.MarkActive(c);
        }
        var buffer = new byte[65536];
        var destinations = new List<IPEndPoint>();
        // Idle connections' probes may come in between (they are other destinations): look at the two busy ones.
        // Until the window or the pacer stops both (the burst the pacer allows at once).
        for (int polls = 0; polls < 500 && destinations.Count < 12; polls++)
        {
            if (client.PollTransmit(net.Now, buffer, out IPEndPoint d, out _) == 0) break;
            if (d.Equals(serverA) || d.Equals(serverB)) destinations.Add(d);
        }
        Assert.True(destinations.Count >= 4, $"only {destinations.Count} datagrams of the busy connections");
        for (int i = 1; i < destinations.Count; i++)
            Assert.NotEqual(destinations[i - 1], destinations[i]);
        Assert.Contains(serverA, destinations);
        Assert.Contains(serverB, destinations);
    }
}
