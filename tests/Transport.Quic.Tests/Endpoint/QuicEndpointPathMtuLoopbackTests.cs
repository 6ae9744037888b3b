using System.Diagnostics;
using System.Net;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>
/// Path MTU discovery over real loopback sockets: the endpoint gives each connection the route's limit (lo's MTU is
/// 65536) and Don't-Fragment sockets, so the connection's probes climb far past an Ethernet-sized datagram; a socket
/// that may fragment keeps its connections at their base size.
/// </summary>
public class QuicEndpointPathMtuLoopbackTests
{
    [LinuxLoopbackMtuFact]
    public void Loopback_connection_discovers_a_path_MTU_far_above_Ethernet_and_never_above_the_route()
    {
        var (client, server) = Transfer(dontFragment: true, 2_000_000);
        Assert.True(client.PathMtu > 9000, $"the client's path MTU stayed at {client.PathMtu} (probes sent {client.PathMtuProbesSent}, acknowledged {client.PathMtuProbesAcknowledged}, lost {client.PathMtuProbesLost})");
        Assert.True(client.PathMtu <= UdpPathMtu.MaxIPv4Payload, $"{client.PathMtu} is above what IPv4 loopback carries");
        Assert.True(server.PathMtu <= UdpPathMtu.MaxIPv4Payload);
        Assert.True(client.PathMtuProbesAcknowledged > 0);
    }

    [LinuxLoopbackMtuFact]
    public void A_socket_that_may_fragment_keeps_its_connections_at_the_base_size()
    {
        var (client, server) = Transfer(dontFragment: false, 300_000);
        Assert.Equal(0, client.PathMtuProbesSent);
        Assert.Equal(0, server.PathMtuProbesSent);
        Assert.True(client.PathMtu <= 1452, $"path MTU {client.PathMtu} on a fragmenting socket");
    }

    private static (ConnectionStatistics Client, ConnectionStatistics Server) Transfer(bool dontFragment, int bytes)
    {
        UdpSocketOptions Socket() => new() { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), DontFragment = dontFragment, ReceiveBufferSize = 4 << 20 };
        using var server = new QuicEndpoint(new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions() }, Socket());
        using var clientEndpoint = new QuicEndpoint(new QuicEndpointOptions(), Socket());
        var serverAddress = new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port);
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), serverAddress);
        QuicConnectionCore? accepted = null;
        long received = 0;
        bool finished = false;
        var buffer = new byte[65536];
        long id = -1;
        var timeout = Stopwatch.StartNew();
        while (!finished && timeout.Elapsed < TimeSpan.FromSeconds(60))
        {
            clientEndpoint.Invoke(core =>
            {
                while (core.PollEvent(out _, out _)) { }
                if (id < 0 && client.IsHandshakeConfirmed && client.TryOpenStream(true, out long opened))
                {
                    id = opened;
                    client.WriteStream(id, new byte[bytes], fin: true); // the core buffers it; flow control paces it out
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
                        int n = connection.ReadStream(e.StreamId, buffer, out bool fin);
                        received += n;
                        if (fin) finished = true;
                        if (n == 0) break;
                    }
                }
                return 0;
            });
            server.WaitForActivity(TimeSpan.FromMilliseconds(2));
        }
        Assert.True(finished, $"transfer did not finish in 60 s ({received} of {bytes} bytes)");
        Assert.Equal(bytes, received);
        var clientStats = clientEndpoint.Invoke(_ => client.GetStatistics());
        var serverStats = server.Invoke(_ => accepted!.GetStatistics());
        Assert.True(clientEndpoint.Shutdown(TimeSpan.FromSeconds(10)));
        Assert.True(server.Shutdown(TimeSpan.FromSeconds(10)));
        return (clientStats, serverStats);
    }
}

/// <summary>A fact that needs Linux (route MTU and Don't-Fragment socket options) and loopback's usual 65536-byte MTU.</summary>
public sealed class LinuxLoopbackMtuFactAttribute : FactAttribute
{
    public LinuxLoopbackMtuFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux (IP_MTU route lookup, IP_MTU_DISCOVER); run on Linux.";
        else if (!File.Exists("/sys/class/net/lo/mtu") || File.ReadAllText("/sys/class/net/lo/mtu").Trim() != "65536")
            Skip = "needs loopback with its usual 65536-byte MTU (see `ip link show lo`); set it with `ip link set lo mtu 65536`.";
    }
}
