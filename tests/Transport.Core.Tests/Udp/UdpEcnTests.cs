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

    /// <summary>Sends one datagram with a per-datagram codepoint and returns the codepoint it arrived with.</summary>
    private static int SendWithEcnAndReceive(UdpDatagramSocket sender, UdpDatagramSocket receiver, IPAddress to, int ecn)
    {
        sender.SendWithEcn("ecn"u8, AddressOf(sender, to, receiver), ecn);
        var batch = receiver.CreateBatch();
        Assert.Equal(1, ReceiveBounded(receiver, batch));
        Assert.True(batch[0].Metadata.HasTypeOfService, "the receive path did not report the TOS byte");
        return batch[0].Metadata.EcnCodepoint;
    }

    [LinuxFact]
    public void Ecn_per_datagram_codepoint_overrides_the_socket_default_over_IPv4()
    {
        using var receiver = OpenEcn(IPAddress.Loopback, 0);
        using var sender = OpenEcn(IPAddress.Loopback, 0);
        Assert.True(sender.IsPerDatagramEcnEnabled);
        Assert.Equal(0b10, SendWithEcnAndReceive(sender, receiver, IPAddress.Loopback, 0b10));
        Assert.Equal(0b00, SendWithEcnAndReceive(sender, receiver, IPAddress.Loopback, 0b00));
        Assert.Equal(0b01, SendWithEcnAndReceive(sender, receiver, IPAddress.Loopback, 0b01));
        Assert.Equal(0, SendAndReceiveEcn(sender, receiver, IPAddress.Loopback)); // the overload without a codepoint: socket default

        using var marking = OpenEcn(IPAddress.Loopback, 0b10); // socket-wide ECT(0); a datagram may still go out Not-ECT
        Assert.Equal(0b00, SendWithEcnAndReceive(marking, receiver, IPAddress.Loopback, 0b00));
        Assert.Equal(0b10, SendAndReceiveEcn(marking, receiver, IPAddress.Loopback));
    }

    [LinuxIPv6LoopbackFact]
    public void Ecn_per_datagram_codepoint_over_IPv6()
    {
        using var receiver = OpenEcn(IPAddress.IPv6Loopback, 0, dualMode: false);
        using var sender = OpenEcn(IPAddress.IPv6Loopback, 0, dualMode: false);
        Assert.Equal(0b10, SendWithEcnAndReceive(sender, receiver, IPAddress.IPv6Loopback, 0b10));
        Assert.Equal(0b00, SendWithEcnAndReceive(sender, receiver, IPAddress.IPv6Loopback, 0b00));
    }

    [LinuxIPv6LoopbackFact]
    public void Ecn_dual_mode_sockets_mark_and_read_IPv4_mapped_datagrams_per_datagram()
    {
        // IPv4-mapped destinations take the kernel's IPv4 path: IP_TOS, not IPV6_TCLASS, marks them; and an IPv6
        // socket reads their TOS only with IP_RECVTOS. Both directions, both an IPv4 and a dual-mode peer.
        using var dualReceiver = OpenEcn(IPAddress.IPv6Any, 0);
        using var v4Sender = OpenEcn(IPAddress.Loopback, 0);
        Assert.Equal(0b10, SendWithEcnAndReceive(v4Sender, dualReceiver, IPAddress.Loopback, 0b10));
        using var v4Receiver = OpenEcn(IPAddress.Loopback, 0);
        using var dualSender = OpenEcn(IPAddress.IPv6Any, 0);
        Assert.Equal(0b10, SendWithEcnAndReceive(dualSender, v4Receiver, IPAddress.Loopback, 0b10));
        Assert.Equal(0b10, SendWithEcnAndReceive(dualSender, dualReceiver, IPAddress.Loopback, 0b10));
        Assert.Equal(0b01, SendWithEcnAndReceive(dualSender, dualReceiver, IPAddress.IPv6Loopback, 0b01));
        Assert.Equal(0b00, SendWithEcnAndReceive(dualSender, dualReceiver, IPAddress.Loopback, 0b00));
    }

    [LinuxTheory]
    [InlineData(true, true)]   // one GSO send (one IP header template for every segment), GRO receive (one TOS for the train)
    [InlineData(true, false)]  // GSO send, the kernel segments it for a plain receive
    [InlineData(false, true)]  // sendmmsg: the control message on every message of the vector
    [InlineData(false, false)]
    public void Ecn_every_datagram_of_a_train_carries_the_train_codepoint(bool gso, bool gro)
    {
        using var receiver = new UdpDatagramSocket(new UdpSocketOptions
        {
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), EnableGro = gro, ReceiveTypeOfService = true, ReceiveBufferSize = 4 << 20,
        });
        using var sender = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), EnableGso = gso });
        var to = AddressOf(sender, IPAddress.Loopback, receiver);
        const int segmentSize = 1200, segments = 20;
        var batch = receiver.CreateBatch(64);
        foreach (int ecn in new[] { 0b10, 0b00, 0b01, 0b10 })
        {
            byte[] train = new byte[segments * segmentSize + 100];
            train.AsSpan().Fill((byte)ecn);
            Assert.Equal(segments + 1, sender.SendSegmentsWithEcn(train, segmentSize, to, ecn));
            int got = 0;
            while (got < segments + 1)
            {
                int n = ReceiveBounded(receiver, batch);
                for (int i = 0; i < n; i++, got++)
                {
                    Assert.Equal((byte)ecn, batch[i].Data[0]); // this train's datagram, not a neighbour's
                    Assert.True(batch[i].Metadata.HasTypeOfService);
                    Assert.Equal(ecn, batch[i].Metadata.EcnCodepoint);
                }
            }
        }
    }

    [Fact]
    public void Ecn_per_datagram_codepoint_is_validated()
    {
        using var socket = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        var to = socket.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.SendWithEcn("x"u8, to, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.SendSegmentsWithEcn(new byte[10], 5, to, -1));
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
