namespace Transport.Quic.Tests.Api;

public class QuicApiInlineCompletionTests
{
    private const string ReceiveThreadName = "quic-endpoint-receive"; // QuicEndpoint names its receive thread so

    /// <summary>
    /// 64-byte ping-pong with <see cref="QuicListenerOptions.InlineCompletions"/> and
    /// <see cref="QuicClientConnectionOptions.InlineCompletions"/> on or off: every response is the request echoed, and
    /// the reads that waited resumed on an endpoint's receive thread exactly when the option is on (both ends). With it
    /// on, the server's handler runs its writes from the receive thread too (the echo needs no thread pool).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PingPong_ResumesReadsOnTheReceiveThread_OnlyWhenAskedTo(bool inline)
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => o.InlineCompletions = inline);
        int serverResumedOnReceiveThread = 0, serverResumedElsewhere = 0;
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await using var s = await c.AcceptInboundStreamAsync(cts.Token);
            var buffer = new byte[64];
            while (true)
            {
                int n = await s.ReadAtLeastAsync(buffer, 64, throwOnEndOfStream: false, cts.Token).ConfigureAwait(false);
                if (Thread.CurrentThread.Name == ReceiveThreadName) serverResumedOnReceiveThread++;
                else serverResumedElsewhere++;
                if (n < 64) break;
                await s.WriteAsync(buffer, cts.Token).ConfigureAwait(false);
            }
            s.CompleteWrites();
            try { await c.AcceptInboundStreamAsync(cts.Token).ConfigureAwait(false); } catch (QuicException) { }
        });
        var options = ApiTest.Client(listener);
        options.InlineCompletions = inline;
        int clientResumedOnReceiveThread = 0;
        // On the thread pool, without the test framework's synchronization context (it would take every continuation back).
        await Task.Run(async () =>
        {
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
            await using var stream = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false);
            var request = new byte[64];
            var response = new byte[64];
            for (int i = 0; i < 200; i++)
            {
                request[0] = (byte)i;
                request[63] = (byte)(i >> 8);
                await stream.WriteAsync(request, cts.Token).ConfigureAwait(false);
                await stream.ReadExactlyAsync(response, cts.Token).ConfigureAwait(false);
                if (Thread.CurrentThread.Name == ReceiveThreadName) clientResumedOnReceiveThread++;
                Assert.Equal(request, response);
            }
            stream.CompleteWrites();
            await ApiTest.ReadToEnd(stream, cts.Token).ConfigureAwait(false);
            await client.CloseAsync(0, cts.Token).ConfigureAwait(false);
        }, cts.Token);
        await server.WaitAsync(cts.Token);
        if (inline)
        {
            // A read that found its data already there returns without waiting (on the thread it ran on), so not all
            // 200: but a ping-pong's reads nearly always wait.
            Assert.True(clientResumedOnReceiveThread > 0, "no client read resumed on the receive thread");
            Assert.True(serverResumedOnReceiveThread > 0, "no server read resumed on the receive thread");
        }
        else
        {
            Assert.Equal(0, clientResumedOnReceiveThread);
            Assert.Equal(0, serverResumedOnReceiveThread);
            Assert.True(serverResumedElsewhere > 0);
        }
    }

    /// <summary>
    /// Several streams at once, each 200 KiB of random bytes echoed by the server and read back through a small odd-sized
    /// buffer (so a read that waited gets part of what arrived, by QuicStream.OnReadable, and the rest later): every
    /// byte comes back once and in order, with inline completions on both ends and with the default, and writers that
    /// wait for send-buffer room resume too.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConcurrentEchoStreams_DeliverEveryByteInOrder(bool inline)
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => o.InlineCompletions = inline);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(c, cts.Token);
        });
        var options = ApiTest.Client(listener);
        options.InlineCompletions = inline;
        await Task.Run(async () =>
        {
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
            var streams = new Task[4];
            for (int k = 0; k < streams.Length; k++)
            {
                int seed = k;
                streams[k] = Task.Run(async () =>
                {
                    byte[] data = ApiTest.Random(200 * 1024, seed);
                    await using var stream = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false);
                    var writer = Task.Run(async () =>
                    {
                        for (int offset = 0; offset < data.Length; offset += 7000)
                            await stream.WriteAsync(data.AsMemory(offset, Math.Min(7000, data.Length - offset)), cts.Token).ConfigureAwait(false);
                        stream.CompleteWrites();
                    });
                    var received = new MemoryStream();
                    var buffer = new byte[777];
                    int n;
                    while ((n = await stream.ReadAsync(buffer, cts.Token).ConfigureAwait(false)) > 0) received.Write(buffer, 0, n);
                    await writer.ConfigureAwait(false);
                    Assert.Equal(data, received.ToArray());
                });
            }
            await Task.WhenAll(streams).ConfigureAwait(false);
            await client.CloseAsync(0, cts.Token).ConfigureAwait(false);
        }, cts.Token);
        await server.WaitAsync(cts.Token);
    }

    /// <summary>
    /// 16 requests in flight with inline completions: the client's continuation reads the echoes of a received datagram
    /// and writes as many new requests on the receive thread; those writes leave together when it yields (the endpoint
    /// flushes once), so the client sends far fewer datagrams than requests (without the coalescing, one each).
    /// </summary>
    [Fact]
    public async Task PipelinedWrites_OfTheResumedCode_ShareDatagrams()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => o.InlineCompletions = true);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(c, cts.Token);
        });
        var options = ApiTest.Client(listener);
        options.InlineCompletions = true;
        const int Requests = 2000, Depth = 16;
        (long sent0, long sent1) = await Task.Run(async () =>
        {
            await using var client = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
            await using var stream = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false);
            var request = new byte[64];
            var response = new byte[64];
            long before = client.Pump.Endpoint.SendCounters.Datagrams;
            int written = 0, read = 0;
            for (; written < Depth; written++) await stream.WriteAsync(request, cts.Token).ConfigureAwait(false);
            while (read < Requests)
            {
                await stream.ReadExactlyAsync(response, cts.Token).ConfigureAwait(false);
                read++;
                if (written < Requests)
                {
                    await stream.WriteAsync(request, cts.Token).ConfigureAwait(false);
                    written++;
                }
            }
            long after = client.Pump.Endpoint.SendCounters.Datagrams;
            stream.CompleteWrites();
            await ApiTest.ReadToEnd(stream, cts.Token).ConfigureAwait(false);
            await client.CloseAsync(0, cts.Token).ConfigureAwait(false);
            return (before, after);
        }, cts.Token);
        await server.WaitAsync(cts.Token);
        long datagrams = sent1 - sent0;
        Assert.True(datagrams < Requests / 4, $"{datagrams} datagrams for {Requests} requests");
    }

    /// <summary>
    /// Code resumed on the receive thread closes and disposes its connection there (the close it writes leaves when it
    /// yields; the connection's own endpoint shuts down beside it): both ends see the close, nothing hangs.
    /// </summary>
    [Fact]
    public async Task ClosingFromTheReceiveThread_Completes()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token, configure: o => o.InlineCompletions = true);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await using var s = await c.AcceptInboundStreamAsync(cts.Token);
            var buffer = new byte[64];
            try
            {
                while (await s.ReadAtLeastAsync(buffer, 64, throwOnEndOfStream: false, cts.Token) == 64) await s.WriteAsync(buffer, cts.Token);
            }
            catch (QuicException)
            {
                // the client disposed its stream (or the connection) first
            }
            // The client's CONNECTION_CLOSE (application code 7) ends the connection.
            var e = await Assert.ThrowsAsync<QuicException>(async () => await c.AcceptInboundStreamAsync(cts.Token));
            return e.ApplicationErrorCode;
        });
        var options = ApiTest.Client(listener);
        options.InlineCompletions = true;
        bool closedOnReceiveThread = await Task.Run(async () =>
        {
            var client = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
            var stream = await client.OpenOutboundStreamAsync(true, cts.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            bool onReceiveThread = false;
            for (int i = 0; i < 50 && !onReceiveThread; i++)
            {
                await stream.WriteAsync(buffer, cts.Token).ConfigureAwait(false);
                await stream.ReadExactlyAsync(buffer, cts.Token).ConfigureAwait(false);
                onReceiveThread = Thread.CurrentThread.Name == ReceiveThreadName;
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            await client.CloseAsync(7, cts.Token).ConfigureAwait(false);
            await client.DisposeAsync().ConfigureAwait(false);
            return onReceiveThread;
        }, cts.Token);
        Assert.True(closedOnReceiveThread, "no read resumed on the receive thread");
        Assert.Equal(7UL, await server.WaitAsync(cts.Token));
    }
}
