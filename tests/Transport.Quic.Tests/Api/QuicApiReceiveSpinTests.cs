namespace Transport.Quic.Tests.Api;

/// <summary>The receive threads' busy-poll before blocking (<see cref="QuicListenerOptions.ReceiveSpinTime"/>) over real loopback sockets.</summary>
public class QuicApiReceiveSpinTests
{
    public static TheoryData<long> BadSpinTicks => new() { -1L, -TimeSpan.TicksPerMillisecond, 10 * TimeSpan.TicksPerMillisecond + 1, TimeSpan.TicksPerSecond };

    private static QuicListenerOptions NewListenerOptions() => new()
    {
        ListenEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
        ServerConnectionOptions = new Transport.Quic.Connection.ConnectionOptions(),
    };

    private static QuicClientConnectionOptions NewClientOptions() => new()
    {
        RemoteEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 443),
        ConnectionOptions = new Transport.Quic.Connection.ConnectionOptions(),
    };

    [Theory]
    [MemberData(nameof(BadSpinTicks))]
    public void ReceiveSpinTime_OutOfRange_IsRejected(long ticks)
    {
        var bad = TimeSpan.FromTicks(ticks);
        var listener = NewListenerOptions();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => listener.ReceiveSpinTime = bad);
        Assert.Equal(nameof(QuicListenerOptions.ReceiveSpinTime), e.ParamName);
        Assert.Contains("zero (off) to 10 ms", e.Message);
        Assert.Equal(TimeSpan.Zero, listener.ReceiveSpinTime);
        var client = NewClientOptions();
        e = Assert.Throws<ArgumentOutOfRangeException>(() => client.ReceiveSpinTime = bad);
        Assert.Equal(nameof(QuicClientConnectionOptions.ReceiveSpinTime), e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new QuicClientEndpoint(receiveSpinTime: bad));
        Assert.Equal("receiveSpinTime", e.ParamName);
    }

    [Fact]
    public void ReceiveSpinTime_InRange_IsKept()
    {
        var listener = NewListenerOptions();
        listener.ReceiveSpinTime = TimeSpan.FromMilliseconds(10);
        Assert.Equal(TimeSpan.FromMilliseconds(10), listener.ReceiveSpinTime);
        var client = NewClientOptions();
        client.ReceiveSpinTime = TimeSpan.FromMicroseconds(50);
        Assert.Equal(TimeSpan.FromMicroseconds(50), client.ReceiveSpinTime);
    }

    /// <summary>
    /// Ping-pong and a bulk echo with the spin on or off (both ends), with and without inline completions: every byte
    /// comes back, and the client's receive thread took batches by spinning exactly when the spin is on.
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public async Task PingPong_And_Bulk_Echo_WithSpinOnOrOff(bool inline, bool spin)
    {
        var spinTime = spin ? TimeSpan.FromMilliseconds(10) : TimeSpan.Zero;
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => { o.InlineCompletions = inline; o.ReceiveSpinTime = spinTime; });
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(c, cts.Token);
        });
        var options = ApiTest.Client(listener);
        options.InlineCompletions = inline;
        options.ReceiveSpinTime = spinTime;
        long spinBatches = -1;
        await Task.Run(async () =>
        {
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
            await using (var stream = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false))
            {
                var request = new byte[64];
                var response = new byte[64];
                for (int i = 0; i < 200; i++)
                {
                    Random.Shared.NextBytes(request);
                    await stream.WriteAsync(request, cts.Token).ConfigureAwait(false);
                    await stream.ReadExactlyAsync(response, cts.Token).ConfigureAwait(false);
                    Assert.Equal(request, response);
                }
                stream.CompleteWrites();
                await ApiTest.ReadToEnd(stream, cts.Token).ConfigureAwait(false);
            }
            await using (var bulk = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false))
            {
                byte[] payload = ApiTest.Random(300_000, 7);
                var read = ApiTest.ReadToEnd(bulk, cts.Token);
                await bulk.WriteAsync(payload, completeWrites: true, cts.Token).ConfigureAwait(false);
                Assert.Equal(payload, await read.ConfigureAwait(false));
            }
            spinBatches = client.Pump.Endpoint.SpinBatches;
            await client.CloseAsync(0, cts.Token).ConfigureAwait(false);
        }, cts.Token);
        await server.WaitAsync(cts.Token);
        // 200 replies, each arriving within a round trip of the batch before it: with a 10 ms spin the client's receive
        // thread takes (nearly) all of them while spinning; with none, never.
        if (spin) Assert.True(spinBatches > 0, "no receive batch was taken by spinning");
        else Assert.Equal(0, spinBatches);
    }

    /// <summary>Disposing a shared client socket right after traffic (its receive thread spinning, 10 ms) ends cleanly.</summary>
    [Fact]
    public async Task ClientEndpoint_DisposedWhileSpinning_Returns()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => o.ReceiveSpinTime = TimeSpan.FromMilliseconds(10));
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            try { await ApiTest.EchoStreams(c, cts.Token); } catch (QuicException) { }
        });
        var endpoint = new QuicClientEndpoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), inlineCompletions: true, receiveSpinTime: TimeSpan.FromMilliseconds(10));
        var client = await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token);
        await using (var s = await client.OpenOutboundStreamAsync(true, cts.Token))
        {
            var ping = new byte[] { 1, 2, 3 };
            await s.WriteAsync(ping, cts.Token);
            var pong = new byte[3];
            await s.ReadExactlyAsync(pong, cts.Token);
            Assert.Equal(ping, pong);
        }
        await endpoint.DisposeAsync().AsTask().WaitAsync(cts.Token); // the receive thread is spinning or about to
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token));
        await client.DisposeAsync();
        await server.WaitAsync(cts.Token);
    }
}
