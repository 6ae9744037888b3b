namespace Transport.Quic.Tests.Api;

public class QuicApiSharedSocketTests
{
    [Fact]
    public async Task TwentyConnections_OnOneClientSocket_EachEchoes()
    {
        const int Count = 20;
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var remotePorts = new System.Collections.Concurrent.ConcurrentBag<int>();
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (int i = 0; i < Count; i++)
            {
                var c = await listener.AcceptConnectionAsync(cts.Token);
                remotePorts.Add(c.RemoteEndPoint.Port);
                echoes.Add(Task.Run(async () => { await using (c) await ApiTest.EchoStreams(c, cts.Token); }));
            }
            await Task.WhenAll(echoes);
        });

        await using var endpoint = new QuicClientEndpoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var clients = Enumerable.Range(0, Count).Select(i => Task.Run(async () =>
        {
            await using var c = await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token);
            Assert.Equal(endpoint.LocalEndPoint, c.LocalEndPoint);
            await using var s = await c.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
            byte[] payload = ApiTest.Random(4096 + i, 100 + i);
            var read = ApiTest.ReadToEnd(s, cts.Token);
            await s.WriteAsync(payload, completeWrites: true, cts.Token);
            Assert.Equal(payload, await read);
            await c.CloseAsync(0, cts.Token);
        })).ToArray();
        await Task.WhenAll(clients).WaitAsync(cts.Token);
        await server.WaitAsync(cts.Token);
        Assert.Equal(Count, remotePorts.Count);
        Assert.All(remotePorts, p => Assert.Equal(endpoint.LocalEndPoint.Port, p));
    }

    [Fact]
    public async Task ClientEndpoint_Dispose_ClosesItsConnections_AndRefusesNewOnes()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        var endpoint = new QuicClientEndpoint();
        var client = await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token);
        await using var server = await accepted;
        Assert.Equal(1, endpoint.ConnectionCount);
        await endpoint.DisposeAsync();
        var ex = await Assert.ThrowsAsync<QuicException>(async () => await server.AcceptInboundStreamAsync(cts.Token));
        Assert.Equal(QuicError.ConnectionAborted, ex.Error);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token));
        await client.DisposeAsync();
    }
}
