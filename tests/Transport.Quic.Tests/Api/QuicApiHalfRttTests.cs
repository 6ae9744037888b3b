using System.Net;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Api;

/// <summary>
/// <see cref="QuicListenerOptions.AcceptBeforeHandshakeCompletes"/>: the server application gets the connection after its
/// first flight, reads 0-RTT data and answers with 0.5-RTT data before the client's Finished arrives.
/// </summary>
public class QuicApiHalfRttTests
{
    private sealed record ServerSide(QuicConnection Connection, bool CompleteWhenAccepted, bool CompleteWhenStreamAccepted, bool CompleteWhenAnswered);

    /// <summary>A listener that answers one stream of one connection (echo) and reports the handshake state along the way.</summary>
    private static async Task<(QuicListener Listener, TlsSessionTicketKeys Keys)> Listen(bool early, bool acceptEarlyData, CancellationToken ct)
    {
        var keys = new TlsSessionTicketKeys();
        var listener = await ApiTest.Listen(o =>
        {
            o.ServerTls!.SessionTicketKeys = keys;
            o.ServerTls.EnableEarlyData = true;
            o.ServerTls.EarlyDataFilter = _ => acceptEarlyData;
        }, o => o.AcceptBeforeHandshakeCompletes = early, ct);
        return (listener, keys);
    }

    private static async Task<ServerSide> ServeOne(QuicListener listener, CancellationToken ct, TaskCompletionSource? accepted = null)
    {
        var c = await listener.AcceptConnectionAsync(ct);
        bool atAccept = c.IsHandshakeComplete;
        accepted?.TrySetResult();
        var stream = await c.AcceptInboundStreamAsync(ct);
        bool atStream = c.IsHandshakeComplete;
        var request = await ApiTest.ReadToEnd(stream, ct);
        bool atAnswer = c.IsHandshakeComplete;
        await stream.WriteAsync(request, completeWrites: true, ct);
        return new ServerSide(c, atAccept, atStream, atAnswer);
    }

    private static async Task<TlsSessionTicket> Ticket(QuicListener listener, CancellationToken ct)
    {
        var serving = ServeOne(listener, ct);
        await using (var first = await ApiTest.Connect(listener, ct))
        {
            await using var s = await first.OpenOutboundStreamAsync(true, ct);
            var read = ApiTest.ReadToEnd(s, ct);
            await s.WriteAsync(new byte[] { 1 }, completeWrites: true, ct);
            await read;
            var ticket = await first.WaitForSessionTicketAsync(ct);
            Assert.True(ticket.AllowsEarlyData);
            var server = await serving;
            await server.Connection.DisposeAsync();
            return ticket;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_server_answers_0rtt_before_its_handshake_completes_only_when_opted_in(bool early)
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        var (listener, _) = await Listen(early, acceptEarlyData: true, cts.Token);
        await using (listener)
        {
            var ticket = await Ticket(listener, cts.Token);
            var serving = ServeOne(listener, cts.Token);

            // The server's datagrams are held until the server answered (early) or the request went out (not early):
            // the client cannot complete its handshake before, so the server cannot either.
            using var relay = new HoldingRelay(new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port));
            var options = ApiTest.Client(listener, o =>
            {
                o.ClientTls!.SessionTicket = ticket;
                o.ClientTls.EnableEarlyData = true;
            });
            options.RemoteEndPoint = relay.EndPoint;
            options.AllowEarlyData = true;
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token);
            await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
            byte[] request = ApiTest.Random(500, 3);
            var read = ApiTest.ReadToEnd(stream, cts.Token);
            await stream.WriteAsync(request, completeWrites: true, cts.Token);
            if (early)
            {
                // Everything happens with the server's datagrams held: the server never saw the client's Finished.
                var server = await serving;
                Assert.False(server.CompleteWhenAccepted);
                Assert.False(server.CompleteWhenStreamAccepted);
                Assert.False(server.CompleteWhenAnswered);
                Assert.Equal(TlsEarlyDataStatus.Accepted, server.Connection.EarlyDataStatus);
                relay.Release();
                Assert.Equal(request, await read);
                Assert.True(await client.EarlyDataAccepted.WaitAsync(cts.Token));
                await server.Connection.DisposeAsync();
            }
            else
            {
                await relay.WaitForClientBytesAsync(1200 + request.Length).WaitAsync(cts.Token);
                Assert.False(serving.IsCompleted);
                relay.Release();
                Assert.Equal(request, await read);
                var server = await serving;
                Assert.True(server.CompleteWhenAccepted, "without the option a connection is handed out at handshake completion");
                await server.Connection.DisposeAsync();
            }
            await client.CloseAsync(0, cts.Token);
        }
    }

    [Fact]
    public async Task Rejected_0rtt_data_reaches_an_early_accepted_connection_only_after_the_handshake()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        var (listener, _) = await Listen(early: true, acceptEarlyData: false, cts.Token);
        await using (listener)
        {
            var ticket = await Ticket(listener, cts.Token);
            var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var serving = ServeOne(listener, cts.Token, accepted);
            using var relay = new HoldingRelay(new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port));
            var options = ApiTest.Client(listener, o =>
            {
                o.ClientTls!.SessionTicket = ticket;
                o.ClientTls.EnableEarlyData = true;
            });
            options.RemoteEndPoint = relay.EndPoint;
            options.AllowEarlyData = true;
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token);
            await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
            byte[] request = ApiTest.Random(500, 4);
            var read = ApiTest.ReadToEnd(stream, cts.Token);
            await stream.WriteAsync(request, completeWrites: true, cts.Token);
            await relay.WaitForClientBytesAsync(1200 + request.Length).WaitAsync(cts.Token);
            // The relay holds the server's flight, so the handshake cannot complete before the accept has been observed
            // (under CI load the accept continuation could otherwise run only after the client's Finished arrived).
            await accepted.Task.WaitAsync(cts.Token);
            relay.Release();
            Assert.Equal(request, await read); // sent again in 1-RTT by the client
            var server = await serving;
            Assert.False(server.CompleteWhenAccepted, "handed out after the first flight");
            Assert.True(server.CompleteWhenStreamAccepted, "rejected 0-RTT data never surfaces: the stream appears with the 1-RTT copy, after completion");
            Assert.Equal(TlsEarlyDataStatus.Rejected, server.Connection.EarlyDataStatus);
            Assert.False(await client.EarlyDataAccepted.WaitAsync(cts.Token));
            await server.Connection.DisposeAsync();
            await client.CloseAsync(0, cts.Token);
        }
    }
}
