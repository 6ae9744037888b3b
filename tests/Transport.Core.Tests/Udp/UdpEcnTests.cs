using System.Net;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;

namespace Transport.Core.Tests.Udp;

/// <summary>ECN marking on send (IP_TOS / IPV6_TCLASS) seen in the receive metadata over real loopback sockets.</summary>
public class UdpEcnTests
{
    private static UdpDatagramSocket OpenEcn(IPAddress address, int ecn, bool dualMode = true) => new(new UdpSocketOptions
    {
        LocalEndPoint = new IPEndPoint(address, 0),
        DualMode = dualMode,
        SendEcnCodepoint = ecn,
        ReceiveTypeOfService = true,
    });

    private static int SendAndReceiveEcn(UdpDatagramSocket sender, UdpDatagramSocket receiver, IPAddress to)
    {
        sender.Send("ecn"u8, AddressOf(sender, to, receiver));
        var batch = receiver.CreateBatch();
        Assert.Equal(1, ReceiveBounded(receiver, batch));
        Assert.True(batch[0].Metadata.HasTypeOfService, "the receive path did not report the TOS byte");
        return batch[0].Metadata.EcnCodepoint;
    }

    [LinuxFact]
    public void Ecn_ECT0_set_on_send_arrives_as_ECT0_over_IPv4()
    {
        using var receiver = OpenEcn(IPAddress.Loopback, 0);
        using var sender = OpenEcn(IPAddress.Loopback, 0b10);
        Assert.Equal(0b10, sender.SendEcnCodepoint);
        Assert.Equal(0b10, SendAndReceiveEcn(sender, receiver, IPAddress.Loopback));
        // Turned off again (RFC 9000 §13.4.2: an endpoint stops marking when validation fails).
        Assert.True(sender.TrySetSendEcnCodepoint(0));
        Assert.Equal(0, SendAndReceiveEcn(sender, receiver, IPAddress.Loopback));
    }

    [LinuxIPv6LoopbackFact]
    public void Ecn_ECT0_set_on_send_arrives_as_ECT0_over_IPv6()
    {
        using var receiver = OpenEcn(IPAddress.IPv6Loopback, 0, dualMode: false);
        using var sender = OpenEcn(IPAddress.IPv6Loopback, 0b10, dualMode: false);
        Assert.Equal(0b10, SendAndReceiveEcn(sender, receiver, IPAddress.IPv6Loopback));
    }

    [LinuxIPv6LoopbackFact]
    public void Ecn_dual_mode_socket_marks_IPv4_mapped_sends_too()
    {
        using var receiver = OpenEcn(IPAddress.Loopback, 0);
        using var sender = OpenEcn(IPAddress.IPv6Any, 0b10);
        Assert.Equal(0b10, SendAndReceiveEcn(sender, receiver, IPAddress.Loopback));
    }

    [LinuxFact]
    public void Ecn_unmarked_by_default()
    {
        using var receiver = OpenEcn(IPAddress.Loopback, 0);
        using var sender = Open(IPAddress.Loopback);
        Assert.Equal(0, sender.SendEcnCodepoint);
        Assert.Equal(0, SendAndReceiveEcn(sender, receiver, IPAddress.Loopback));
    }

    [Fact]
    public void Ecn_codepoint_option_is_validated()
    {
        var e = Assert.Throws<ArgumentException>(() => new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), SendEcnCodepoint = 3 }));
        Assert.Contains("SendEcnCodepoint", e.Message);
        using var socket = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.TrySetSendEcnCodepoint(3));
    }
}

/// <summary>A fact that needs Linux (IP_TOS / IPV6_TCLASS are set there only) and the IPv6 loopback address.</summary>
public sealed class LinuxIPv6LoopbackFactAttribute : FactAttribute
{
    public LinuxIPv6LoopbackFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "ECN marking is set on Linux only; run on Linux.";
        else if (!UdpTestSupport.IPv6LoopbackAvailable)
            Skip = "IPv6 loopback [::1] is unavailable here (no IPv6 or ::1 not configured on lo); enable IPv6 to run this test.";
    }
}
