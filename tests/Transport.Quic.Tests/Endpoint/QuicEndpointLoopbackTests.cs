using System.Diagnostics;
using System.Net;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

public class QuicEndpointLoopbackTests
{
    [Fact]
    public void ClientEndpoint_MovesOneMegabyte_ToServerEndpoint_OverLoopback()
    {
        var loopback = new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        using var server = new QuicEndpoint(new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions() }, loopback);
        using var clientEndpoint = new QuicEndpoint(new QuicEndpointOptions(), new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        var serverAddress = new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port);

        const int Size = 1 << 20;
        var payload = new byte[Size];
        new Random(11).NextBytes(payload);
        var received = new MemoryStream();
        bool finished = false;
        var readBuffer = new byte[65536];
        QuicConnectionCore? accepted = null;

        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), serverAddress);
        bool sent = false;
        var timeout = Stopwatch.StartNew();
        while (!finished && timeout.Elapsed < TimeSpan.FromSeconds(30))
        {
            clientEndpoint.Invoke(core =>
            {
                while (core.PollEvent(out _, out _)) { }
                if (!sent && client.IsHandshakeConfirmed && client.TryOpenStream(true, out long id))
                {
                    client.WriteStream(id, payload, fin: true);
                    sent = true;
                }
                return 0;
            });
            server.Invoke(core =>
            {
                if (accepted is null && core.TryAccept(out var c)) accepted = c;
                while (core.PollEvent(out var connection, out var e))
                {
                    if (e.Kind != ConnectionEventKind.StreamReadable) continue;
                    while (true)
                    {
                        int n = connection.ReadStream(e.StreamId, readBuffer, out bool fin);
                        received.Write(readBuffer, 0, n);
                        if (fin) finished = true;
                        if (n == 0) break;
                    }
                }
                return 0;
            });
            server.WaitForActivity(TimeSpan.FromMilliseconds(5));
        }
        Assert.True(finished, $"transfer did not finish in 30 s: {received.Length} of {Size} bytes, handshake {client.IsHandshakeConfirmed}");
        Assert.NotNull(accepted);
        Assert.Equal(payload, received.ToArray());
        Assert.Equal(0, server.Invoke(_ => accepted!.GetStatistics().InternalErrors));

        Assert.True(clientEndpoint.Shutdown(TimeSpan.FromSeconds(10)), "client shutdown did not complete");
        Assert.True(server.Shutdown(TimeSpan.FromSeconds(10)), "server shutdown did not complete");
    }
}
