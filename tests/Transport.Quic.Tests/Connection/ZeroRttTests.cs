using System.Net;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Packets;
using Transport.Quic.Tls;
using Xunit;

namespace Transport.Quic.Tests.Connection;

/// <summary>0-RTT resumption (RFC 9000 §7.4.1, RFC 9001 §4.6) and NEW_TOKEN (RFC 9000 §8.1.3) over the simulator.</summary>
public sealed class ZeroRttTests
{
    private static readonly byte[] Request = System.Text.Encoding.ASCII.GetBytes("GET /early-data please, idempotent");

    private static ConnectionOptions Server(TlsSessionTicketKeys keys, bool earlyData, Action<ConnectionOptions>? configure = null) =>
        ConnectionPair.ServerOptions(o =>
        {
            o.ServerTls!.SessionTicketKeys = keys;
            o.ServerTls.EnableEarlyData = earlyData;
            configure?.Invoke(o);
        });

    /// <summary>A first connection that ends with a session ticket (and whatever else the caller looks at).</summary>
    private static (TlsSessionTicket Ticket, byte[]? Token) FirstConnection(TlsSessionTicketKeys keys, bool earlyData, Action<ConnectionOptions>? configureServer = null)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), Server(keys, earlyData, configureServer));
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.RunUntil(() => pair.Client.SessionTicket is not null, 10_000), "no session ticket");
        pair.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TlsEarlyDataStatus.NotOffered, pair.Client.EarlyDataStatus);
        return (pair.Client.SessionTicket!, pair.Client.ReceivedToken);
    }

    private static ConnectionOptions ResumingClient(TlsSessionTicket ticket, byte[]? token = null) => ConnectionPair.ClientOptions(o =>
    {
        o.ClientTls!.SessionTicket = ticket;
        o.ClientTls.EnableEarlyData = true;
        o.InitialToken = token;
    });

    /// <summary>Reads what the server received on <paramref name="streamId"/> so far.</summary>
    private static byte[] ReadAll(QuicConnectionCore server, long streamId, out bool finished)
    {
        var all = new List<byte>();
        var buf = new byte[4096];
        finished = false;
        int n;
        while ((n = server.ReadStream(streamId, buf, out finished)) > 0) all.AddRange(buf.AsSpan(0, n).ToArray());
        return all.ToArray();
    }

    /// <summary>Runs until the server has the whole request on stream 0 (FIN included); returns it and whether the client had completed its handshake when the server first read.</summary>
    private static byte[] ServerReadsRequest(ConnectionPair pair, out bool clientCompleteAtFirstRead)
    {
        var received = new List<byte>();
        bool fin = false;
        bool? completeAtFirst = null;
        Assert.True(pair.RunUntil(() =>
        {
            if (pair.ServerEvents.Exists(e => e.Kind == ConnectionEventKind.StreamOpened))
            {
                byte[] got = ReadAll(pair.Server, 0, out bool f);
                if (got.Length > 0) completeAtFirst ??= pair.Client.IsHandshakeComplete;
                received.AddRange(got);
                fin |= f;
            }
            return fin;
        }, 200_000), "the server never read the whole request");
        clientCompleteAtFirstRead = completeAtFirst ?? true;
        return received.ToArray();
    }

    [Fact]
    public void Early_data_is_sent_in_0rtt_and_read_by_the_server_before_the_client_completes()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        Assert.True(ticket.AllowsEarlyData);

        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true), new Transport.Core.Simulation.LinkConditions { Delay = TimeSpan.FromMilliseconds(25) });
        Assert.True(pair.Client.CanSendEarlyData);
        Assert.Equal(TlsEarlyDataStatus.Offered, pair.Client.EarlyDataStatus);
        Assert.True(pair.Client.TryOpenStream(bidirectional: true, out long id));
        Assert.Equal(0, id);
        pair.Client.WriteStream(id, Request, fin: true);

        byte[] got = ServerReadsRequest(pair, out bool clientComplete);
        Assert.Equal(Request, got);
        Assert.False(clientComplete, "the server should read 0-RTT data before the client's handshake completes");

        Assert.True(pair.CompleteHandshake(), $"server events: {string.Join(", ", pair.ServerEvents)}");
        pair.RunFor(TimeSpan.FromMilliseconds(300));
        var c = pair.Client.GetStatistics();
        var s = pair.Server.GetStatistics();
        Assert.True(c.ZeroRttPacketsSent > 0);
        Assert.True(s.ZeroRttPacketsReceived > 0);
        Assert.Equal(0, s.ZeroRttPacketsDropped);
        Assert.Equal(0, c.ZeroRttPacketsRequeued);
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Server.EarlyDataStatus);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.EarlyDataAccepted);
        Assert.DoesNotContain(pair.ClientEvents, e => e.Kind == ConnectionEventKind.EarlyDataRejected);
        Assert.False(pair.Client.CanSendEarlyData);
        // The 0-RTT data was acknowledged: nothing was retransmitted in 1-RTT.
        Assert.Equal(0, c.StreamBytesRetransmitted);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamSendCompleted && e.StreamId == id);
    }

    [Fact]
    public void The_first_datagram_coalesces_the_Initial_and_a_0rtt_packet()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true));
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        var buffer = new byte[1500];
        int n = pair.Client.PollTransmit(pair.Now, buffer, out _);
        Assert.True(n >= 1200);
        Assert.True(LongHeader.TryParse(buffer.AsSpan(0, n), out var first));
        Assert.Equal(PacketType.Initial, first.Type);
        Assert.True(first.PacketLength < n);
        Assert.True(LongHeader.TryParse(buffer.AsSpan(first.PacketLength, n - first.PacketLength), out var second));
        Assert.Equal(PacketType.ZeroRtt, second.Type);
        Assert.Equal(1, pair.Client.GetStatistics().ZeroRttPacketsSent);
    }

    [Fact]
    public void Early_data_refused_by_server_policy_is_resent_in_1rtt()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        Assert.True(ticket.AllowsEarlyData);

        // The same ticket keys, but this server refuses early data (policy).
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: false));
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);

        byte[] got = ServerReadsRequest(pair, out bool clientComplete);
        Assert.Equal(Request, got);
        Assert.True(clientComplete, "rejected early data can only arrive in 1-RTT, after the client completed");
        Assert.True(pair.CompleteHandshake());

        var c = pair.Client.GetStatistics();
        var s = pair.Server.GetStatistics();
        Assert.True(c.ZeroRttPacketsSent > 0);
        Assert.True(c.ZeroRttPacketsRequeued > 0);
        Assert.Equal(0, s.ZeroRttPacketsReceived);
        Assert.True(s.ZeroRttPacketsDropped > 0);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.EarlyDataRejected);
        Assert.DoesNotContain(pair.ClientEvents, e => e.Kind == ConnectionEventKind.EarlyDataAccepted);
        Assert.True(c.StreamBytesRetransmitted >= Request.Length);
        Assert.True(pair.RunUntil(() => pair.ClientEvents.Exists(e => e.Kind == ConnectionEventKind.StreamSendCompleted && e.StreamId == id), 100_000));
    }

    [Fact]
    public void A_tampered_ticket_falls_back_to_a_full_handshake_and_delivers_the_data()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        byte[] serialized = ticket.Serialize();
        Assert.True(TlsSessionTicket.TryDeserialize(serialized, out var copy));
        copy!.Ticket[copy.Ticket.Length / 2] ^= 0x5a; // the server cannot open it any more

        using var pair = new ConnectionPair(ResumingClient(copy), Server(keys, earlyData: true));
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        byte[] got = ServerReadsRequest(pair, out _);
        Assert.Equal(Request, got);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
        Assert.NotNull(pair.Client.PeerCertificate); // a full handshake: the certificate was sent
        Assert.Equal(0, pair.Server.GetStatistics().ZeroRttPacketsReceived);
        Assert.True(pair.Client.GetStatistics().ZeroRttPacketsRequeued > 0);
    }

    [Fact]
    public void Without_early_data_streams_wait_for_the_handshake()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: false);
        Assert.False(ticket.AllowsEarlyData);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true));
        Assert.False(pair.Client.CanSendEarlyData);
        Assert.Throws<InvalidOperationException>(() => pair.Client.TryOpenStream(true, out _));
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(0, pair.Client.GetStatistics().ZeroRttPacketsSent);
    }

    [Fact]
    public void Datagrams_may_travel_in_0rtt()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true));
        pair.Client.SendDatagram("early datagram"u8);
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Exists(e => e.Kind == ConnectionEventKind.DatagramReceived), 100_000));
        Assert.False(pair.Client.IsHandshakeComplete);
        Assert.Equal("early datagram"u8.ToArray(), pair.ServerEvents.Find(e => e.Kind == ConnectionEventKind.DatagramReceived).Data);
    }

    [Fact]
    public void A_server_whose_limits_shrank_rejects_0rtt_and_the_data_still_arrives()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        // RFC 9000 §7.4.1: the server may not accept 0-RTT with smaller limits than the ticket remembers.
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true, o => o.InitialMaxData = 1 << 20));
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        byte[] got = ServerReadsRequest(pair, out bool clientComplete);
        Assert.Equal(Request, got);
        Assert.True(clientComplete);
        Assert.Equal(0, pair.Server.GetStatistics().ZeroRttPacketsReceived);
        Assert.True(pair.Server.GetStatistics().ZeroRttPacketsDropped > 0);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
        Assert.True(pair.RunUntil(() => pair.Client.IsHandshakeConfirmed, 10_000));
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void The_applications_early_data_filter_still_decides()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        int asked = 0;
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true, o => o.ServerTls!.EarlyDataFilter = _ => { asked++; return false; }));
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        Assert.Equal(Request, ServerReadsRequest(pair, out _));
        Assert.Equal(1, asked);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
    }

    [Fact]
    public void NEW_TOKEN_reaches_the_client_and_is_echoed_in_its_next_Initial()
    {
        var keys = new TlsSessionTicketKeys();
        byte[] token = "address-validation-token-1"u8.ToArray();
        IPEndPoint? askedFor = null;
        var (ticket, received) = FirstConnection(keys, earlyData: true, o => o.NewTokenProvider = ep => { askedFor = ep; return token; });
        Assert.Equal(token, received);
        Assert.Equal(ConnectionPair.ClientAddress, askedFor);

        using var pair = new ConnectionPair(ResumingClient(ticket, received), Server(keys, earlyData: true));
        var buffer = new byte[1500];
        int n = pair.Client.PollTransmit(pair.Now, buffer, out _);
        Assert.True(LongHeader.TryParse(buffer.AsSpan(0, n), out var initial));
        Assert.Equal(PacketType.Initial, initial.Type);
        Assert.Equal(token, initial.Token.ToArray());
    }

    [Fact]
    public void NEW_TOKEN_event_carries_the_token_and_no_provider_means_no_token()
    {
        byte[] token = [1, 2, 3, 4, 5];
        using (var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.NewTokenProvider = _ => token)))
        {
            Assert.True(pair.CompleteHandshake());
            Assert.True(pair.RunUntil(() => pair.ClientEvents.Exists(e => e.Kind == ConnectionEventKind.NewTokenReceived), 10_000));
            Assert.Equal(token, pair.ClientEvents.Find(e => e.Kind == ConnectionEventKind.NewTokenReceived).Data);
        }
        using (var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions()))
        {
            Assert.True(pair.CompleteHandshake());
            pair.RunFor(TimeSpan.FromMilliseconds(500));
            Assert.Null(pair.Client.ReceivedToken);
        }
    }
    [Fact]
    public void A_0rtt_datagram_that_arrives_before_the_Initial_is_kept_until_the_keys_exist()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true));
        byte[] request = new byte[3000];
        new Random(7).NextBytes(request);
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, request, fin: true);
        var datagrams = new List<byte[]>();
        var buffer = new byte[1500];
        int n;
        while ((n = pair.Client.PollTransmit(pair.Now, buffer, out _)) > 0) datagrams.Add(buffer.AsSpan(0, n).ToArray());
        Assert.True(datagrams.Count >= 2, $"expected several datagrams, got {datagrams.Count}");
        Assert.True(LongHeader.TryParse(datagrams[1], out var h) && h.Type == PacketType.ZeroRtt);

        // Reordered: the 0-RTT-only datagrams first (no keys yet: kept), then the Initial.
        for (int i = datagrams.Count - 1; i >= 0; i--) pair.Server.HandleDatagram(pair.Now, ConnectionPair.ClientAddress, datagrams[i]);
        byte[] got = ReadAll(pair.Server, id, out bool fin);
        Assert.Equal(request, got);
        Assert.True(fin);
        Assert.Equal(datagrams.Count, pair.Server.GetStatistics().ZeroRttPacketsReceived);
        Assert.Equal(0, pair.Server.GetStatistics().ZeroRttPacketsDropped);
    }

    [Fact]
    public void Early_data_sent_before_a_Retry_is_sent_again_in_0rtt_and_accepted()
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true), useRetry: true);
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, Request, fin: true);
        byte[] got = ServerReadsRequest(pair, out bool clientComplete);
        Assert.Equal(Request, got);
        Assert.Equal(1, pair.RetrySentCount);
        Assert.False(clientComplete);
        Assert.True(pair.Client.GetStatistics().ZeroRttPacketsRequeued > 0);
        Assert.True(pair.Server.GetStatistics().ZeroRttPacketsReceived > 0);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
    }

    [Theory]
    [InlineData(0)] // the Initial + 0-RTT datagram
    [InlineData(1)] // a 0-RTT-only datagram
    public void Lost_0rtt_data_is_recovered(int droppedClientDatagram)
    {
        var keys = new TlsSessionTicketKeys();
        var (ticket, _) = FirstConnection(keys, earlyData: true);
        using var pair = new ConnectionPair(ResumingClient(ticket), Server(keys, earlyData: true));
        int clientDatagrams = 0;
        pair.Drop = (fromClient, _) => fromClient && clientDatagrams++ == droppedClientDatagram;
        byte[] request = new byte[3000];
        new Random(3).NextBytes(request);
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, request, fin: true);
        Assert.Equal(request, ServerReadsRequest(pair, out _));
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
        Assert.True(pair.RunUntil(() => pair.ClientEvents.Exists(e => e.Kind == ConnectionEventKind.StreamSendCompleted && e.StreamId == id), 100_000));
    }
}
