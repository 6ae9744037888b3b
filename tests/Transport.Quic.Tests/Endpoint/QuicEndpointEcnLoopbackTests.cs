using System.Diagnostics;
using System.Net;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;
using Transport.Reliable;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>ECN end to end over real loopback sockets: the socket marks ECT(0), the receiver's metadata reaches the connection.</summary>
public class QuicEndpointEcnLoopbackTests
{
    [LinuxEcnFact]
    public void Ecn_marks_set_by_the_socket_are_counted_and_validated_over_loopback()
    {
        UdpSocketOptions Socket() => new() { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), ReceiveTypeOfService = true, SendEcnCodepoint = 2 };
        using var server = new QuicEndpoint(new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions() }, Socket());
        using var clientEndpoint = new QuicEndpoint(new QuicEndpointOptions(), Socket());
        var serverAddress = new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port);
        var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), serverAddress);
        QuicConnectionCore? accepted = null;
        bool sent = false, finished = false;
        var buffer = new byte[65536];
        var timeout = Stopwatch.StartNew();
        while (!finished && timeout.Elapsed < TimeSpan.FromSeconds(30))
        {
            clientEndpoint.Invoke(core =>
            {
                while (core.PollEvent(out _, out _)) { }
                if (!sent && client.IsHandshakeConfirmed && client.TryOpenStream(true, out long id))
                {
                    client.WriteStream(id, new byte[100_000], fin: true);
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
                        int n = connection.ReadStream(e.StreamId, buffer, out bool fin);
                        if (fin) finished = true;
                        if (n == 0) break;
                    }
                }
                return 0;
            });
            server.WaitForActivity(TimeSpan.FromMilliseconds(5));
        }
        Assert.True(finished, "transfer did not finish in 30 s");
        var serverCounts = server.Invoke(_ => accepted!.GetReceivedEcnCounts(PacketNumberSpace.ApplicationData));
        Assert.True(serverCounts.Ect0 > 0, $"the server counted no ECT(0) packets: {serverCounts}");
        var heard = clientEndpoint.Invoke(_ => client.GetPeerReportedEcnCounts(PacketNumberSpace.ApplicationData));
        Assert.True(heard.Ect0 > 0, "the client got no ACK_ECN counts");
        Assert.Equal(EcnValidationState.Capable, clientEndpoint.Invoke(_ => client.EcnState));
        Assert.True(clientEndpoint.Shutdown(TimeSpan.FromSeconds(10)));
        Assert.True(server.Shutdown(TimeSpan.FromSeconds(10)));
    }
}

/// <summary>A fact that needs Linux: ECN marking (IP_TOS) and TOS reporting (recvmmsg) exist there only.</summary>
public sealed class LinuxEcnFactAttribute : FactAttribute
{
    public LinuxEcnFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "ECN over real sockets needs Linux (IP_TOS / IPV6_TCLASS and recvmmsg TOS reporting); run on Linux.";
    }
}
