using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Packets;
using Transport.Quic.Tls;
using Xunit;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// Time to the first response byte in virtual time over a 20 ms RTT, and 0.5-RTT data (RFC 9001 §4.1.1): a server
/// answers accepted 0-RTT stream data in 1-RTT packets right after its first flight, before its handshake completes.
/// </summary>
public sealed class HalfRttTests
{
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(20);
    private static readonly LinkConditions Link = new() { Delay = Rtt / 2 };
    private static readonly byte[] Request = "GET /index.html"u8.ToArray();
    private static readonly byte[] Response = "200 OK, here it is"u8.ToArray();

    private static ConnectionOptions Server(TlsSessionTicketKeys keys, bool earlyData) => ConnectionPair.ServerOptions(o =>
    {
        o.ServerTls!.SessionTicketKeys = keys;
        o.ServerTls.EnableEarlyData = earlyData;
    });

    private static TlsSessionTicket Ticket(TlsSessionTicketKeys keys)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), Server(keys, earlyData: true), Link);
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.RunUntil(() => pair.Client.SessionTicket is not null, 10_000), "no session ticket");
        Assert.True(pair.Client.SessionTicket!.AllowsEarlyData);
        return pair.Client.SessionTicket!;
    }

    private static ConnectionOptions Resuming(TlsSessionTicket ticket) => ConnectionPair.ClientOptions(o =>
    {
        o.ClientTls!.SessionTicket = ticket;
        o.ClientTls.EnableEarlyData = true;
    });

    /// <summary>What the server application saw: it answers a whole request at once, wherever the handshake is.</summary>
    private sealed class EchoApp
    {
        private readonly List<byte> _request = new();
        public bool Answered;
        public bool ServerCompleteWhenAnswering;
        public bool ServerCompleteWhenFirstRead;
        public bool ReadAnything;
        public int StreamOpenedIndex = -1;

        public void Attach(ConnectionPair pair) => pair.OnEvent = (p, isClient, e) =>
        {
            if (isClient || Answered) return;
            if (e.Kind == ConnectionEventKind.StreamOpened && StreamOpenedIndex < 0) StreamOpenedIndex = p.ServerEvents.Count - 1;
            if (e.Kind is not (ConnectionEventKind.StreamOpened or ConnectionEventKind.StreamReadable) || e.StreamId != 0) return;
            var buf = new byte[4096];
            bool fin;
            int n;
            while ((n = p.Server.ReadStream(0, buf, out fin)) > 0 || fin)
            {
                if (!ReadAnything) ServerCompleteWhenFirstRead = p.Server.IsHandshakeComplete;
                ReadAnything = true;
                _request.AddRange(buf.AsSpan(0, n).ToArray());
                if (!fin) continue;
                Assert.Equal(Request, _request.ToArray());
                ServerCompleteWhenAnswering = p.Server.IsHandshakeComplete;
                p.Server.WriteStream(0, Response, fin: true);
                Answered = true;
                return;
            }
        };
    }

    /// <summary>Runs until the client application has the first response byte; returns the virtual time since <paramref name="start"/>.</summary>
    private static TimeSpan UntilFirstResponseByte(ConnectionPair pair, Instant start, out bool clientCompleteAtFirstByte)
    {
        var buf = new byte[64];
        int got = 0;
        bool complete = false;
        Assert.True(pair.RunUntil(() =>
        {
            if (got > 0) return true;
            if (!pair.Client.IsClosed && pair.Client.IsHandshakeComplete | pair.Client.CanSendEarlyData)
            {
                got = pair.Client.ReadStream(0, buf, out _);
                complete = pair.Client.IsHandshakeComplete;
            }
            return got > 0;
        }, 200_000), "the client never read a response byte");
        Assert.Equal(Response[0], buf[0]);
        clientCompleteAtFirstByte = complete;
        return pair.Now - start;
    }

    /// <summary>Records the packet types of every datagram the server sends (and splits nothing).</summary>
    private static List<PacketType> WatchServerPackets(ConnectionPair pair)
    {
        var types = new List<PacketType>();
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (!fromClient) types.AddRange(PacketTypes(bytes));
            return bytes;
        };
        return types;
    }

    private static IEnumerable<PacketType> PacketTypes(byte[] datagram)
    {
        var list = new List<PacketType>();
        int offset = 0;
        while (offset < datagram.Length)
        {
            if (!PacketHeaderBits.IsLongHeader(datagram[offset]))
            {
                list.Add(PacketType.OneRtt);
                break;
            }
            if (!LongHeader.TryParse(datagram.AsSpan(offset), out var h) || h.PacketLength <= 0) break;
            list.Add(h.Type);
            offset += h.PacketLength;
        }
        return list;
    }

    [Fact]
    public void With_0rtt_the_first_response_byte_arrives_one_RTT_after_the_client_starts()
    {
        var keys = new TlsSessionTicketKeys();
        var ticket = Ticket(keys);
        using var pair = new ConnectionPair(Resuming(ticket), Server(keys, earlyData: true), Link);
        var types = WatchServerPackets(pair);
        var app = new EchoApp();
        app.Attach(pair);
        Instant start = pair.Now;
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        Assert.Equal(0, id);
        pair.Client.WriteStream(id, Request, fin: true);

        TimeSpan firstByte = UntilFirstResponseByte(pair, start, out bool clientComplete);
        Assert.True(app.Answered);
        Assert.False(app.ServerCompleteWhenFirstRead, "the server reads 0-RTT data before its handshake completes");
        Assert.False(app.ServerCompleteWhenAnswering, "the server answers before its handshake completes (0.5-RTT data)");
        Assert.True(clientComplete, "the client reads the response once it has the 1-RTT keys (with the server's Finished)");
        Assert.True(firstByte >= Rtt && firstByte < Rtt * 1.5, $"first response byte after {firstByte.TotalMilliseconds} ms; expected one RTT ({Rtt.TotalMilliseconds} ms)");

        // RFC 9000 §17.2.3: a server never sends 0-RTT; its early answer goes in 1-RTT packets.
        Assert.DoesNotContain(PacketType.ZeroRtt, types);
        Assert.Contains(PacketType.OneRtt, types);
        Assert.Equal(0, pair.Server.GetStatistics().ZeroRttPacketsSent);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.HalfRttReady);
        int halfRtt = pair.ServerEvents.FindIndex(e => e.Kind == ConnectionEventKind.HalfRttReady);
        int opened = pair.ServerEvents.FindIndex(e => e.Kind == ConnectionEventKind.StreamOpened);
        int completed = pair.ServerEvents.FindIndex(e => e.Kind == ConnectionEventKind.HandshakeCompleted);
        Assert.True(halfRtt < opened && opened < completed, string.Join(", ", pair.ServerEvents));
    }

    [Fact]
    public void With_1rtt_the_first_response_byte_arrives_two_RTT_after_the_client_starts()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link);
        var app = new EchoApp();
        app.Attach(pair);
        Instant start = pair.Now;
        Assert.True(pair.RunUntil(() => pair.Client.IsHandshakeComplete, 100_000));
        Assert.Equal(start + Rtt, pair.Now); // the client completes after one round trip
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);

        TimeSpan firstByte = UntilFirstResponseByte(pair, start, out _);
        Assert.True(app.ServerCompleteWhenFirstRead, "1-RTT data is read only after the server's handshake completes (RFC 9001 §5.7)");
        Assert.True(firstByte >= 2 * Rtt && firstByte < Rtt * 2.5, $"first response byte after {firstByte.TotalMilliseconds} ms; expected two RTT ({2 * Rtt.TotalMilliseconds} ms)");
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.HalfRttReady);
    }

    [Fact]
    public void The_server_sends_its_first_flight_in_one_go_and_nothing_in_1rtt_without_application_data()
    {
        // A full handshake (no 0-RTT): the server's first datagrams carry Initial and Handshake packets only; the
        // application space has nothing to say before the client's Finished.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link);
        var types = new List<List<PacketType>>();
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (!fromClient && !pair.Server.IsHandshakeComplete) types.Add(PacketTypes(bytes).ToList());
            return bytes;
        };
        Assert.True(pair.CompleteHandshake());
        Assert.NotEmpty(types);
        Assert.DoesNotContain(types, t => t.Contains(PacketType.OneRtt));
    }

    [Fact]
    public void Rejected_0rtt_data_never_reaches_the_server_application_before_the_handshake_completes()
    {
        var keys = new TlsSessionTicketKeys();
        var ticket = Ticket(keys);
        // Same ticket keys, but this server refuses early data: the request is resent by the client in 1-RTT.
        using var pair = new ConnectionPair(Resuming(ticket), Server(keys, earlyData: false), Link);
        var types = WatchServerPackets(pair);
        var app = new EchoApp();
        app.Attach(pair);
        Instant start = pair.Now;
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);

        TimeSpan firstByte = UntilFirstResponseByte(pair, start, out _);
        Assert.True(app.ServerCompleteWhenFirstRead, "rejected 0-RTT data is never surfaced: the request is read only after completion, as 1-RTT data");
        int halfRtt = pair.ServerEvents.FindIndex(e => e.Kind == ConnectionEventKind.HalfRttReady);
        int completed = pair.ServerEvents.FindIndex(e => e.Kind == ConnectionEventKind.HandshakeCompleted);
        Assert.True(halfRtt >= 0 && halfRtt < completed);
        Assert.True(app.StreamOpenedIndex > completed, string.Join(", ", pair.ServerEvents));
        Assert.Equal(0, pair.Server.GetStatistics().ZeroRttPacketsReceived);
        Assert.True(firstByte >= 2 * Rtt, $"{firstByte.TotalMilliseconds} ms");
        Assert.DoesNotContain(PacketType.ZeroRtt, types);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void A_server_can_open_a_stream_and_write_after_its_first_flight()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link);
        long serverStream = -1;
        bool writtenBeforeComplete = false;
        pair.OnEvent = (p, isClient, e) =>
        {
            if (isClient || e.Kind != ConnectionEventKind.HalfRttReady) return;
            Assert.False(p.Server.IsHandshakeComplete);
            Assert.True(p.Server.TryOpenStream(bidirectional: false, out serverStream));
            p.Server.WriteStream(serverStream, Response, fin: true);
            writtenBeforeComplete = true;
        };
        Instant start = pair.Now;
        var buf = new byte[64];
        int n = 0;
        Assert.True(pair.RunUntil(() => serverStream >= 0 && pair.Client.IsHandshakeComplete && (n = pair.Client.ReadStream(serverStream, buf, out _)) > 0, 100_000));
        Assert.True(writtenBeforeComplete);
        Assert.Equal(Response, buf.AsSpan(0, n).ToArray());
        // The server's push arrives with its first flight: one RTT after the client started.
        Assert.True(pair.Now - start < Rtt * 1.5, $"{(pair.Now - start).TotalMilliseconds} ms");
    }

    [Fact]
    public void A_1rtt_packet_that_overtakes_the_servers_handshake_packets_is_buffered_by_the_client()
    {
        var keys = new TlsSessionTicketKeys();
        var ticket = Ticket(keys);
        using var pair = new ConnectionPair(Resuming(ticket), Server(keys, earlyData: true), Link);
        var app = new EchoApp();
        app.Attach(pair);
        bool split = false;
        // The server's datagram with the answer: its 1-RTT packet is sent on its own ahead of the long-header packets.
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (fromClient || split || PacketHeaderBits.IsLongHeader(bytes[0]) is false) return bytes;
            int offset = 0;
            while (offset < bytes.Length && PacketHeaderBits.IsLongHeader(bytes[offset]) && LongHeader.TryParse(bytes.AsSpan(offset), out var h) && h.PacketLength > 0)
                offset += h.PacketLength;
            if (offset == 0 || offset >= bytes.Length) return bytes;
            split = true;
            pair.Simulator.Send(pair.Now, ConnectionPair.ServerAddress, ConnectionPair.ClientAddress, bytes.AsSpan(offset));
            return bytes.AsSpan(0, offset).ToArray();
        };
        Instant start = pair.Now;
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        TimeSpan firstByte = UntilFirstResponseByte(pair, start, out _);
        Assert.True(split, "the server never coalesced a 1-RTT packet after its handshake packets");
        Assert.True(firstByte < Rtt * 1.5, $"{firstByte.TotalMilliseconds} ms: the overtaking packet was not kept");
        Assert.Equal(0, pair.Server.GetStatistics().StreamBytesRetransmitted);
    }

    [Fact]
    public void A_clients_1rtt_request_that_overtakes_its_Finished_is_buffered_by_the_server()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link);
        var app = new EchoApp();
        app.Attach(pair);
        bool split = false;
        // The client's datagram with its Finished and the request: the 1-RTT packet goes ahead on its own.
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (!fromClient || split || !PacketHeaderBits.IsLongHeader(bytes[0])) return bytes;
            int offset = 0;
            while (offset < bytes.Length && PacketHeaderBits.IsLongHeader(bytes[offset]) && LongHeader.TryParse(bytes.AsSpan(offset), out var h) && h.PacketLength > 0)
                offset += h.PacketLength;
            if (offset == 0 || offset >= bytes.Length || !pair.Client.IsHandshakeComplete) return bytes;
            split = true;
            pair.Simulator.Send(pair.Now, ConnectionPair.ClientAddress, ConnectionPair.ServerAddress, bytes.AsSpan(offset));
            return bytes.AsSpan(0, offset).ToArray();
        };
        Instant start = pair.Now;
        long id = -1;
        Assert.True(pair.RunUntil(() =>
        {
            if (id < 0 && pair.Client.IsHandshakeComplete && pair.Client.TryOpenStream(true, out id)) pair.Client.WriteStream(id, Request, fin: true);
            return id >= 0;
        }, 100_000));
        TimeSpan firstByte = UntilFirstResponseByte(pair, start, out _);
        Assert.True(split, "the client never coalesced its request after its Finished");
        Assert.True(app.ServerCompleteWhenFirstRead, "the server reads 1-RTT data only once its handshake completed (RFC 9001 §5.7)");
        Assert.True(firstByte < Rtt * 2.5, $"{firstByte.TotalMilliseconds} ms: the overtaking request was not kept");
        Assert.Equal(0, pair.Client.GetStatistics().StreamBytesRetransmitted);
    }

    [Fact]
    public void Lost_half_rtt_data_is_sent_again()
    {
        var keys = new TlsSessionTicketKeys();
        var ticket = Ticket(keys);
        using var pair = new ConnectionPair(Resuming(ticket), Server(keys, earlyData: true), Link);
        var app = new EchoApp();
        app.Attach(pair);
        bool dropped = false;
        // The first server datagram that carries a 1-RTT packet (the 0.5-RTT answer) is lost, with whatever shares it.
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (fromClient || dropped || !PacketTypes(bytes).Contains(PacketType.OneRtt)) return bytes;
            dropped = true;
            return [];
        };
        Instant start = pair.Now;
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        UntilFirstResponseByte(pair, start, out _);
        Assert.True(dropped);
        Assert.False(app.ServerCompleteWhenAnswering);
        Assert.True(pair.Server.GetStatistics().StreamBytesRetransmitted > 0);
        Assert.True(pair.CompleteHandshake());
    }
}
