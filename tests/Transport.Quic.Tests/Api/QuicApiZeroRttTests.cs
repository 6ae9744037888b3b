using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Api;

public class QuicApiZeroRttTests
{
    private static async Task<(QuicListener Listener, Task Server)> EchoServer(bool acceptEarlyData, CancellationToken ct)
    {
        var keys = new TlsSessionTicketKeys();
        var listener = await ApiTest.Listen(o =>
        {
            o.ServerTls!.SessionTicketKeys = keys;
            o.ServerTls.EnableEarlyData = true;
            o.ServerTls.EarlyDataFilter = _ => acceptEarlyData; // the application's policy
        }, ct: ct);
        // Serves until the listener is disposed (a connection closed before it was accepted is never returned, so the
        // test does not count them).
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            try
            {
                while (true)
                {
                    var c = await listener.AcceptConnectionAsync(ct);
                    echoes.Add(Task.Run(async () => { await using (c) await ApiTest.EchoStreams(c, ct); }));
                }
            }
            catch (ObjectDisposedException)
            {
            }
            await Task.WhenAll(echoes);
        });
        return (listener, server);
    }

    private static async Task<TlsSessionTicket> FirstConnection(QuicListener listener, CancellationToken ct)
    {
        await using var first = await ApiTest.Connect(listener, ct);
        TlsSessionTicket ticket = await first.WaitForSessionTicketAsync(ct);
        Assert.Same(ticket, first.SessionTicket);
        Assert.True(ticket.AllowsEarlyData);
        Assert.False(await first.EarlyDataAccepted);
        Assert.Equal(TlsEarlyDataStatus.NotOffered, first.EarlyDataStatus);
        return ticket;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EarlyData_SentBeforeHandshake_ArrivesIntact_AcceptedOrRefused(bool accept)
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        var (listener, server) = await EchoServer(accept, cts.Token);
        await using (listener)
        {
            var ticket = await FirstConnection(listener, cts.Token);

            // The server's replies are held until the request is written, so it surely goes out before the handshake completes.
            using var relay = new HoldingRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, listener.LocalEndPoint.Port));
            var options = ApiTest.Client(listener, o =>
            {
                o.ClientTls!.SessionTicket = ticket;
                o.ClientTls.EnableEarlyData = true;
            });
            options.RemoteEndPoint = relay.EndPoint;
            options.AllowEarlyData = true;
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token); // at once: 0-RTT keys exist
            Assert.Equal(TlsEarlyDataStatus.Offered, client.EarlyDataStatus);
            Assert.False(client.EarlyDataAccepted.IsCompleted);
            await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
            byte[] request = ApiTest.Random(8000, 21);
            var read = ApiTest.ReadToEnd(stream, cts.Token);
            await stream.WriteAsync(request, completeWrites: true, cts.Token);
            client.SendDatagram(new byte[] { 7 }); // datagrams may go early too (lost if refused)
            await relay.WaitForClientBytesAsync(1200 + request.Length).WaitAsync(cts.Token); // Initial + the 0-RTT request
            relay.Release();

            Assert.Equal(accept, await client.EarlyDataAccepted.WaitAsync(cts.Token));
            Assert.Equal(accept ? TlsEarlyDataStatus.Accepted : TlsEarlyDataStatus.Rejected, client.EarlyDataStatus);
            Assert.Equal(request, await read); // refused early data was sent again in 1-RTT
            var stats = client.GetStatistics();
            Assert.True(stats.ZeroRttPacketsSent > 0, stats.ToString());
            if (!accept) Assert.True(stats.ZeroRttPacketsRequeued > 0, stats.ToString());
            await client.CloseAsync(0, cts.Token);
        }
        await server.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task WithoutAllowEarlyData_ConnectWaitsForTheHandshake_AndResumes()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        var (listener, server) = await EchoServer(true, cts.Token);
        await using (listener)
        {
            var ticket = await FirstConnection(listener, cts.Token);
            await using var client = await ApiTest.Connect(listener, cts.Token, o => o.ClientTls!.SessionTicket = ticket);
            Assert.Null(client.RemoteCertificate); // resumed: no certificate exchanged
            Assert.False(await client.EarlyDataAccepted);
            await client.CloseAsync(0, cts.Token);
        }
        await server.WaitAsync(cts.Token);
    }
}
