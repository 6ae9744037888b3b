using System.Net;
using Transport.Core.Time;
using Transport.Quic.Endpoint;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>The endpoint hands the driver each datagram's ECN codepoint (TransmitInfo.Ecn) with PollTransmitWithEcn.</summary>
public class QuicEndpointCoreEcnTests
{
    [Theory]
    [InlineData(true, 2)]  // the Initial is one of the 10 testing packets: ECT(0) (RFC 9000 §13.4.2, Appendix A.4)
    [InlineData(false, 0)] // ECN off: Not-ECT
    public void First_client_datagram_carries_the_connections_codepoint(bool enableEcn, byte expected)
    {
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        var server = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4433);
        endpoint.Connect(ConnectionPair.ClientOptions(o => o.EnableEcn = enableEcn), server, Instant.Zero);
        var buffer = new byte[2048];
        int n = endpoint.PollTransmitWithEcn(Instant.Zero, buffer, out var destination, out _, out byte ecn);
        Assert.True(n >= 1200);
        Assert.Equal(server, destination);
        Assert.Equal(expected, ecn);
    }

    [Fact]
    public void Stateless_packets_are_not_marked()
    {
        using var endpoint = new QuicEndpointCore(new QuicEndpointOptions { ServerConnectionOptions = ConnectionPair.ServerOptions() });
        var probe = new IPEndPoint(IPAddress.Parse("10.0.1.1"), 50000);
        var datagram = new byte[1200];
        datagram[0] = 0xC0;
        datagram[1] = 0x1a; datagram[2] = 0x2a; datagram[3] = 0x3a; datagram[4] = 0x4a; // an unsupported version: VN
        datagram[5] = 8;
        datagram[14] = 8;
        endpoint.HandleDatagram(Instant.Zero, probe, datagram, ecn: 2);
        var buffer = new byte[2048];
        Assert.True(endpoint.PollTransmitWithEcn(Instant.Zero, buffer, out _, out _, out byte ecn) > 0);
        Assert.Equal(0, ecn);
    }
}
