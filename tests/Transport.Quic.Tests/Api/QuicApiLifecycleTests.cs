using System.Net;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Api;

public class QuicApiLifecycleTests
{
    [Fact]
    public async Task ConnectAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        // A bound UDP socket that never answers: the handshake cannot complete.
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = (IPEndPoint)silent.LocalEndPoint!,
            ConnectionOptions = ConnectionPair.ClientOptions(),
        };
        var connect = QuicConnection.ConnectAsync(options, cancel.Token).AsTask();
        // The client's Initial reaching the silent socket proves the attempt is under way before cancelling.
        var buffer = new byte[2048];
        var got = await silent.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(got.ReceivedBytes >= 1200);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect);
    }

    [Fact]
    public async Task Accept_Read_AndOpen_Cancel_Cleanly_AndTheConnectionStaysUsable()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;

        using (var c1 = new CancellationTokenSource())
        {
            var pending = server.AcceptInboundStreamAsync(c1.Token).AsTask();
            c1.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
        await using var cs = await client.OpenOutboundStreamAsync(true, cts.Token);
        await cs.WriteAsync(new byte[] { 1 }, cts.Token);
        await using var ss = await server.AcceptInboundStreamAsync(cts.Token);
        var one = new byte[1];
        await ss.ReadExactlyAsync(one, cts.Token);
        using (var c2 = new CancellationTokenSource())
        {
            var pending = ss.ReadAsync(new byte[10], c2.Token).AsTask();
            c2.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
        await cs.WriteAsync(new byte[] { 2, 3 }, completeWrites: true, cts.Token);
        Assert.Equal(new byte[] { 2, 3 }, await ApiTest.ReadToEnd(ss, cts.Token)); // nothing lost by the cancelled read
    }

    [Fact]
    public async Task Disposed_Objects_ThrowObjectDisposed()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        var listener = await ApiTest.Listen(ct: cts.Token);
        var client = await ApiTest.Connect(listener, cts.Token);
        var stream = await client.OpenOutboundStreamAsync(true, cts.Token);
        var pendingAccept = listener.AcceptConnectionAsync(cts.Token).AsTask(); // takes the client's connection
        await (await pendingAccept).DisposeAsync();
        var waiting = listener.AcceptConnectionAsync(cts.Token).AsTask();

        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.OpenOutboundStreamAsync(true, cts.Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.AcceptInboundStreamAsync(cts.Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.ReceiveDatagramAsync(cts.Token));
        Assert.Throws<ObjectDisposedException>(() => client.SendDatagram(new byte[1]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await stream.WriteAsync(new byte[1], cts.Token));
        await client.DisposeAsync(); // twice is fine

        await listener.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);  // a waiting accept ends too
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptConnectionAsync(cts.Token));
    }

    [Fact]
    public async Task BadArguments_ThrowArgumentExceptions_SayingWhat()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = ConnectionPair.ClientOptions(),
        }));
        Assert.Contains("ServerTls", ex.Message);
        ex = await Assert.ThrowsAsync<ArgumentException>(async () => await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ConnectionOptions = ConnectionPair.ClientOptions(),
        }));
        Assert.Contains("port 0", ex.Message);
        ex = await Assert.ThrowsAsync<ArgumentException>(async () => await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 443),
            ConnectionOptions = ConnectionPair.ServerOptions(),
        }));
        Assert.Contains("ClientTls", ex.Message);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await QuicConnection.ConnectAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await ApiTest.Listen(configure: o => o.AcceptBacklog = 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuicClientEndpoint(connectionIdLength: 2));
    }

    [Fact]
    public async Task AcceptBacklog_Full_RefusesMore_UntilTheApplicationAccepts()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(configure: o => o.AcceptBacklog = 1, ct: cts.Token);
        await using var first = await ApiTest.Connect(listener, cts.Token);   // waits in the backlog, not accepted
        // The backlog is full: the next handshake is not admitted (the client gives up at its idle timeout).
        await Assert.ThrowsAsync<QuicException>(async () =>
            await ApiTest.Connect(listener, cts.Token, o => o.IdleTimeout = TimeSpan.FromMilliseconds(500)));
        await using var accepted = await listener.AcceptConnectionAsync(cts.Token);
        Assert.Equal(first.LocalEndPoint.Port, accepted.RemoteEndPoint.Port);
        await using var third = await ApiTest.Connect(listener, cts.Token); // room again
        await using var acceptedThird = await listener.AcceptConnectionAsync(cts.Token);
        Assert.Equal(third.LocalEndPoint.Port, acceptedThird.RemoteEndPoint.Port);
    }

    [Fact]
    public async Task Listener_ShutdownAsync_DrainsOpenConnections_ThenRefusesNewOnes()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;
        var cs = await client.OpenOutboundStreamAsync(true, cts.Token);
        var shutdown = listener.ShutdownAsync(TimeSpan.FromSeconds(20), 9, cts.Token).AsTask();

        // The open connection still works while the listener drains.
        var serverEcho = Task.Run(async () => await ApiTest.EchoStreams(server, cts.Token));
        var read = ApiTest.ReadToEnd(cs, cts.Token);
        await cs.WriteAsync(new byte[] { 1, 2, 3 }, completeWrites: true, cts.Token);
        Assert.Equal(new byte[] { 1, 2, 3 }, await read);
        Assert.False(shutdown.IsCompleted);
        await client.CloseAsync(0, cts.Token);   // the last connection ends: the drain completes
        Assert.True(await shutdown.WaitAsync(cts.Token));
        await serverEcho.WaitAsync(cts.Token);
        await client.DisposeAsync();
    }
}
