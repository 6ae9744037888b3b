using System.Net;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Api;

public class QuicApiLoopbackTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Client_EchoesOneMegabyte_ThroughServer_WithFin()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = ConnectionPair.ServerOptions(),
        }, cts.Token);

        var serverTask = Task.Run(async () =>
        {
            await using var connection = await listener.AcceptConnectionAsync(cts.Token);
            await using var stream = await connection.AcceptInboundStreamAsync(cts.Token);
            await stream.CopyToAsync(stream, cts.Token);   // echo until FIN
            stream.CompleteWrites();
            // Wait for the client to close so the echo is not cut short.
            try { await connection.AcceptInboundStreamAsync(cts.Token); } catch (QuicException) { }
        });

        var payload = new byte[1 << 20];
        new Random(5).NextBytes(payload);
        await using (var client = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port),
            ConnectionOptions = ConnectionPair.ClientOptions(),
        }, cts.Token))
        {
            await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
            var readTask = Task.Run(async () =>
            {
                var received = new MemoryStream();
                await stream.CopyToAsync(received, cts.Token);
                return received.ToArray();
            });
            await stream.WriteAsync(payload, cts.Token);
            stream.CompleteWrites();
            byte[] echoed = await readTask;
            Assert.Equal(payload.Length, echoed.Length);
            Assert.True(payload.AsSpan().SequenceEqual(echoed), "echoed bytes differ");
            await client.CloseAsync(7, cts.Token);
        }
        await serverTask.WaitAsync(cts.Token);
    }
}
