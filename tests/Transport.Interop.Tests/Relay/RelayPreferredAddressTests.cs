using System.Net;
using System.Text;
using Transport.Interop.Relay;

namespace Transport.Interop.Tests.Relay;

/// <summary>The relay's second port, forwarded to a server's preferred address (connectionmigration).</summary>
public class RelayPreferredAddressTests
{
    [Fact]
    public void The_second_port_reaches_the_preferred_address_from_the_same_source_and_replies_come_back_from_it()
    {
        using var main = new UdpTestPeer(echo: true);
        using var preferred = new UdpTestPeer(echo: true);
        using var relay = new UdpRelay(new UdpRelayOptions
        {
            ServerEndPoint = main.EndPoint, Scenario = RelayScenario.Perfect, Lifetime = TimeSpan.FromSeconds(30),
            PreferredListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), PreferredServerEndPoint = preferred.EndPoint,
        });
        Assert.NotNull(relay.PreferredListenEndPoint);
        Assert.NotEqual(relay.ListenEndPoint.Port, relay.PreferredListenEndPoint!.Port);
        using var client = new UdpTestPeer();
        client.Send(Encoding.ASCII.GetBytes("to-main"), relay.ListenEndPoint);
        client.Send(Encoding.ASCII.GetBytes("to-preferred"), relay.PreferredListenEndPoint);
        var got = client.ReceiveMany(2, TimeSpan.FromSeconds(2));
        Assert.Equal(2, got.Count);
        Assert.Equal(relay.ListenEndPoint, got.Single(p => Encoding.ASCII.GetString(p.Data) == "to-main").From);
        Assert.Equal(relay.PreferredListenEndPoint, got.Single(p => Encoding.ASCII.GetString(p.Data) == "to-preferred").From);
        // One NAT mapping: both server sockets see the client at the same address, as on a routed network.
        Assert.Single(main.All);
        Assert.Single(preferred.All);
        Assert.Equal(main.All[0].From, preferred.All[0].From);
        Assert.Equal(1, relay.Statistics.Mappings);
    }

    [Fact]
    public void A_second_port_without_the_servers_preferred_address_is_refused()
    {
        using var main = new UdpTestPeer(echo: true);
        Assert.Throws<ArgumentException>(() => new UdpRelay(new UdpRelayOptions
        {
            ServerEndPoint = main.EndPoint, Scenario = RelayScenario.Perfect, PreferredListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        }));
    }
}
