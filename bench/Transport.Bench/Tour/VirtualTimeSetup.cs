using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// Time to the first response byte of our QUIC in <see cref="NetworkSimulator"/>'s virtual time: a client and a server
/// <see cref="QuicConnectionCore"/> over a link of RTT/2 each way (no loss), the server echoing every stream. The
/// same code as the real-socket rows, minus sockets, threads and the machine's load: what the protocol alone costs.
/// </summary>
internal static class VirtualTimeSetup
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 4433);

    /// <summary>Milliseconds from the client's creation to the first echoed byte: (1-RTT, 0-RTT resumption).</summary>
    public static (double OneRtt, double ZeroRtt) Measure(TourPeers peers, TimeSpan rtt, int seed)
    {
        var sim = new NetworkSimulator(seed);
        sim.SetLinkBothWays(ClientAddress, ServerAddress, new LinkConditions { Delay = rtt / 2 });
        Instant now = Instant.FromMilliseconds(1_000);
        (double first, TlsSessionTicket? ticket, now) = Connect(sim, peers, null, now);
        if (ticket is null) throw new InvalidOperationException("virtual time: the first connection received no session ticket");
        (double resumed, _, _) = Connect(sim, peers, ticket, now + TimeSpan.FromSeconds(1));
        return (first, resumed);
    }

    private static (double Milliseconds, TlsSessionTicket? Ticket, Instant End) Connect(NetworkSimulator sim, TourPeers peers, TlsSessionTicket? ticket, Instant start)
    {
        Instant now = start;
        using var client = QuicConnectionCore.CreateClient(peers.QuicClientOptions(ticket), ServerAddress, now);
        using var server = QuicConnectionCore.CreateServer(peers.QuicServerOptions(), ClientAddress, client.OriginalDestinationConnectionId, now);
        byte[] buffer = new byte[65536];
        long streamId = -1;
        double? firstByte = null;
        for (int step = 0; step < 200_000; step++)
        {
            if (streamId < 0 && (client.CanSendEarlyData || client.IsHandshakeComplete) && client.TryOpenStream(true, out long id))
            {
                streamId = id;
                client.WriteStream(id, "x"u8);
            }
            Flush(sim, client, ClientAddress, now, buffer);
            Flush(sim, server, ServerAddress, now, buffer);
            bool delivered = false;
            while (sim.TryReceive(now, out SimulatedDatagram d))
            {
                delivered = true;
                (d.Destination.Equals(ServerAddress) ? server : client).HandleDatagram(now, d.Source, d.Payload.Span);
            }
            while (server.PollEvent(out ConnectionEvent e))
            {
                if (e.Kind == ConnectionEventKind.StreamReadable)
                {
                    int n = server.ReadStream(e.StreamId, buffer, out _);
                    if (n > 0) server.WriteStream(e.StreamId, buffer.AsSpan(0, n));
                }
            }
            while (client.PollEvent(out ConnectionEvent e))
            {
                if (e.Kind == ConnectionEventKind.StreamReadable && e.StreamId == streamId && firstByte is null && client.ReadStream(streamId, buffer, out _) > 0)
                    firstByte = (now - start).TotalMilliseconds;
            }
            if (firstByte is not null && client.SessionTicket is not null && client.SessionTicket != ticket)
                return (firstByte.Value, client.SessionTicket, now);
            if (delivered) continue;
            Instant? next = Earliest(sim.NextDeliveryTime, Earliest(client.NextTimeout(), server.NextTimeout()));
            if (next is not { } t) break;
            if (t > now) now = t;
            if (client.NextTimeout() is { } ct && ct <= now) client.HandleTimeout(now);
            if (server.NextTimeout() is { } st && st <= now) server.HandleTimeout(now);
            if (now - start > TimeSpan.FromSeconds(30)) break;
        }
        if (firstByte is not null) return (firstByte.Value, client.SessionTicket, now);
        throw new InvalidOperationException("virtual time: no response byte within 30 s of virtual time");
    }

    private static void Flush(NetworkSimulator sim, QuicConnectionCore connection, IPEndPoint self, Instant now, byte[] buffer)
    {
        for (int i = 0; i < 10_000; i++)
        {
            int n = connection.PollTransmit(now, buffer, out TransmitInfo info);
            if (n == 0) return;
            sim.Send(now, info.Source ?? self, info.Destination, buffer.AsSpan(0, n));
        }
    }

    private static Instant? Earliest(Instant? a, Instant? b) => a is { } x ? (b is { } y ? Instant.Min(x, y) : x) : b;
}
