using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// Issue 7's target is at most 16 KiB per idle connection (1,000 and 10,000 connections on one server endpoint; bench
/// tour, scale section). These budgets are on what one idle core connection keeps reachable after handshake confirmation:
/// a deterministic reflection walk (<see cref="ObjectGraphSize"/>), what the options reach left out (shared by every
/// connection). The endpoint's routing entry and the API objects come on top. Measured when written: server 14.3 KiB,
/// client 15.4 KiB (from 41.4 and 42.8 KiB before the loss detector's scratch, the ACK range buffers and the TLS
/// transcript stopped being per connection); later 11.7 and 12.7 KiB, and the budgets were tightened to hold that; then
/// 9.8 and 10.9 KiB once the handshake's burst (sent-packet ring slots, free records, the CRYPTO chunk) is given back
/// when nothing is in flight and path MTU probing waits for application data (the tour: 16.3 / 16.5 -> 12.3 / 13.2 KiB).
/// </summary>
public class IdleFootprintTests(ITestOutputHelper output)
{
    // Measured 9,976 B (server) and 11,168 B (client) when tightened; with the public QuicConnection (under 0.5 KiB
    // idle, QuicApiFootprintTests), the endpoint's routing entries and the application's own state they must leave a
    // margin under 16 KiB (the tour read 12.3 / 13.2 KiB with these).
    private const long ServerBudgetBytes = 10_500;
    private const long ClientBudgetBytes = 11_700; // the client's own PeerCertificate is made only when read; the parsed certificate is shared (TlsPeerCertificateCache)

    [Fact]
    public void An_idle_server_connection_retains_at_most_its_budget_after_handshake_confirmation()
    {
        var serverOptions = ConnectionPair.ServerOptions();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), serverOptions);
        var (bytes, breakdown) = MeasureIdle(pair, pair.Server, serverOptions);
        Assert.True(bytes <= ServerBudgetBytes, $"an idle server connection retains {bytes} B, over its budget of {ServerBudgetBytes} B:\n{breakdown}");
    }

    [Fact]
    public void An_idle_client_connection_retains_at_most_its_budget_after_handshake_confirmation()
    {
        var clientOptions = ConnectionPair.ClientOptions();
        using var pair = new ConnectionPair(clientOptions, ConnectionPair.ServerOptions());
        var (bytes, breakdown) = MeasureIdle(pair, pair.Client, clientOptions);
        Assert.True(bytes <= ClientBudgetBytes, $"an idle client connection retains {bytes} B, over its budget of {ClientBudgetBytes} B:\n{breakdown}");
    }

    [Fact]
    public void Once_nothing_is_in_flight_after_the_handshake_its_burst_is_given_back_without_waiting_for_a_quiet_spell()
    {
        // The handshake, HANDSHAKE_DONE, the session ticket and NEW_CONNECTION_IDs grow the application space's ring to
        // 16 slots (about 1.4 KiB) and leave several free records (about 320 B each) and a pooled CRYPTO chunk (1 KiB).
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(),
            ConnectionPair.ServerOptions(o => o.ServerTls!.SessionTicketKeys = new Transport.Quic.Tls.TlsSessionTicketKeys()));
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(500)); // well inside StorageTrimDelay (5 s)
        foreach (var c in new[] { pair.Client, pair.Server })
        {
            string side = c.IsServer ? "server" : "client";
            Assert.Equal(0, c.GetStatistics().BytesInFlight);
            Assert.Equal(0, c.GetStatistics().PathMtuProbesSent); // an idle connection does not probe (PathMtuTests)
            var pool = (SentPacketInfoPool)Field(c, "_infoPool")!;
            Assert.True(pool.Count <= 1, $"{side} keeps {pool.Count} free records");
            var appSpace = ((object[])Field(Field(c, "_recovery"), "_spaces")!)[2];
            int slots = (int)Property(Field(appSpace, "Sent"), "Capacity")!;
            // The server's ring holds nothing; the client's holds its last ACK-only packets (never acknowledged by an idle peer).
            Assert.True(slots <= (c.IsServer ? 4 : 16), $"{side}'s sent-packet ring keeps {slots} slots");
            var app = ((object[])Field(c, "_spaces")!)[2];
            foreach (string buffer in new[] { "_cryptoSend", "_cryptoReceive" })
            {
                if (Field(app, buffer) is { } b)
                    Assert.Equal(0, (int)Property(Field(b, "_store"), "RentedChunks")!);
            }
        }
        Assert.NotNull(pair.Client.SessionTicket); // the ticket did arrive (so the CRYPTO buffers were used)
    }

    private static object? Field(object? o, string name)
    {
        for (var t = o?.GetType(); t is not null; t = t.BaseType)
        {
            if (t.GetField(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public) is { } f)
                return f.GetValue(o);
        }
        throw new InvalidOperationException($"no field {name} on {o?.GetType().Name}");
    }

    private static object? Property(object? o, string name) =>
        o!.GetType().GetProperty(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!.GetValue(o);

    [Fact]
    public void Connections_quiet_after_a_transfer_give_back_what_the_burst_grew()
    {
        // A transfer puts hundreds of packets in flight: their records (SentPacketInfo, about 300 bytes each) wait in the
        // connection's free list and its sent-packet rings (about 100 bytes a slot) grow. After a quiet spell of a few
        // seconds the connection keeps a handful of records and rings sized to what is tracked; then it arms no timer.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), Mtu = 1500 });
        // Mtu: an Ethernet path; PMTU discovery would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 1 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Server.GetStatistics().StreamBytesRead >= 1 << 20));
        pair.RunFor(TimeSpan.FromSeconds(10));
        Assert.Empty(app.Errors);
        Assert.True(pair.Client.GetStatistics().PacketsSent > 500, $"only {pair.Client.GetStatistics().PacketsSent} packets sent");
        foreach (var c in new[] { pair.Client, pair.Server })
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var (bytes, breakdown) = ObjectGraphSize.Describe(c, seen, depth: 1, threshold: 200);
            output.WriteLine((c.IsServer ? "server " : "client ") + breakdown);
            long pool = ObjectGraphSize.Measure(typeof(QuicConnectionCore).GetField("_infoPool", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(c), new HashSet<object>(ReferenceEqualityComparer.Instance));
            Assert.True(pool <= SentPacketInfoPool.LocalCapacity * 512, $"{(c.IsServer ? "server" : "client")} keeps {pool} B of sent-packet records after the transfer");
            Assert.True(bytes <= 2 * ServerBudgetBytes, $"{(c.IsServer ? "server" : "client")} keeps {bytes} B after the transfer:\n{breakdown}");
            Assert.False(c.NextTimeout() is { } t && t - pair.Now < TimeSpan.FromSeconds(20), $"a quiet connection still arms a timer: {c.DescribeTimersForTesting()}");
        }
    }

    private (long Bytes, string Breakdown) MeasureIdle(ConnectionPair pair, QuicConnectionCore connection, ConnectionOptions options)
    {
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromSeconds(1)); // the last ACKs, HANDSHAKE_DONE, NEW_CONNECTION_ID and tickets settle
        Assert.True(connection.IsHandshakeConfirmed);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        ObjectGraphSize.Measure(options, seen); // shared by every connection of a listener or client
        // The process-wide parsed-certificate cache (one entry per distinct server certificate, shared by every
        // connection to that server): a connection holds a reference, not a copy.
        ObjectGraphSize.Measure(typeof(Transport.Quic.Tls.TlsPeerCertificateCache)
            .GetField("Entries", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!.GetValue(null), seen);
        var (bytes, breakdown) = ObjectGraphSize.Describe(connection, seen, depth: 3, threshold: 200);
        output.WriteLine(breakdown);
        return (bytes, breakdown);
    }
}
