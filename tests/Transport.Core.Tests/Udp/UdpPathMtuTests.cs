using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;

namespace Transport.Core.Tests.Udp;

/// <summary>Don't-Fragment sockets (RFC 9000 §14) and the route MTU query that bounds path MTU discovery (RFC 8899 §5.1.2).</summary>
public class UdpPathMtuTests
{
    private const int IPv6LoopbackMaxPayload = 65536 - 48; // lo's MTU less the IPv6 and UDP headers

    [Theory]
    [InlineData(1500, true, 1472)]
    [InlineData(1500, false, 1452)]
    [InlineData(9000, true, 8972)]
    [InlineData(65536, true, 65507)] // capped by the IPv4 total length field
    [InlineData(65536, false, 65488)]
    [InlineData(1280, false, 1232)]
    public void FromMtu_subtracts_the_headers_and_caps_at_the_protocol_limit(int mtu, bool ipv4, int expected) =>
        Assert.Equal(expected, UdpPathMtu.FromMtu(mtu, ipv4));

    [Fact]
    public void FromMtu_rejects_a_nonpositive_mtu() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpPathMtu.FromMtu(0, true));

    [LinuxFact]
    public void Route_MTU_of_IPv4_loopback_is_the_IPv4_maximum()
    {
        Assert.True(UdpPathMtu.TryGetMaxUdpPayload(new IPEndPoint(IPAddress.Loopback, 4433), out int payload));
        Assert.Equal(LoopbackMtu() >= 65535 ? 65507 : LoopbackMtu() - 28, payload);
        // Another 127.x address and an IPv4-mapped form route the same way; port 0 is allowed.
        Assert.True(UdpPathMtu.TryGetMaxUdpPayload(new IPEndPoint(IPAddress.Parse("127.1.2.3"), 0), out int other));
        Assert.Equal(payload, other);
        Assert.True(UdpPathMtu.TryGetMaxUdpPayload(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 4433), out int mapped));
        Assert.Equal(payload, mapped);
    }

    [LinuxIPv6LoopbackFact]
    public void Route_MTU_of_IPv6_loopback()
    {
        Assert.True(UdpPathMtu.TryGetMaxUdpPayload(new IPEndPoint(IPAddress.IPv6Loopback, 4433), out int payload));
        Assert.Equal(UdpPathMtu.FromMtu(LoopbackMtu(), ipv4: false), payload);
    }

    [Fact]
    public void Route_MTU_query_rejects_null() =>
        Assert.Throws<ArgumentNullException>(() => UdpPathMtu.TryGetMaxUdpPayload(null!, out _));

    [LinuxFact]
    public void Sockets_are_dont_fragment_by_default_and_can_opt_out()
    {
        using var df = Open(IPAddress.Loopback);
        Assert.True(df.IsDontFragmentEnabled);
        Assert.Equal(3, GetInt(df, 0, 10)); // IP_MTU_DISCOVER = IP_PMTUDISC_PROBE
        using var plain = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), DontFragment = false });
        Assert.False(plain.IsDontFragmentEnabled);
        Assert.NotEqual(3, GetInt(plain, 0, 10));
    }

    [LinuxIPv6LoopbackFact]
    public void Dual_mode_socket_sets_both_families()
    {
        using var socket = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Any, 0) });
        Assert.True(socket.IsDontFragmentEnabled);
        Assert.Equal(3, GetInt(socket, 41, 23)); // IPV6_MTU_DISCOVER = IPV6_PMTUDISC_PROBE
        Assert.Equal(3, GetInt(socket, 0, 10));
    }

    /// <summary>
    /// The point of the option: a datagram too large for the route fails (EMSGSIZE) instead of being fragmented, so a
    /// lost-or-refused PMTU probe means "too big". IPv6 loopback shows it: lo's 65536-byte MTU leaves 65488 bytes of UDP
    /// payload, below the protocol's 65527.
    /// </summary>
    [LinuxIPv6LoopbackFact]
    public void An_oversized_datagram_fails_with_MessageSize_instead_of_being_fragmented()
    {
        if (LoopbackMtu() != 65536) return; // the sizes below assume lo's usual MTU
        using var receiver = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0), DualMode = false });
        using var df = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0), DualMode = false });
        using var fragmenting = new UdpDatagramSocket(new UdpSocketOptions { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0), DualMode = false, DontFragment = false });
        var to = df.CreateRemoteAddress(receiver.LocalEndPoint);
        var big = new byte[IPv6LoopbackMaxPayload + 12];

        var e = Assert.Throws<SocketException>(() => df.Send(big, to));
        Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);

        // The largest that fits goes through whole.
        df.Send(new byte[IPv6LoopbackMaxPayload], to);
        var batch = receiver.CreateBatch();
        Assert.Equal(1, ReceiveBounded(receiver, batch));
        Assert.Equal(IPv6LoopbackMaxPayload, batch[0].Data.Length);

        // Without the option the kernel fragments it and the receiver gets it reassembled.
        fragmenting.Send(big, fragmenting.CreateRemoteAddress(receiver.LocalEndPoint));
        Assert.Equal(1, ReceiveBounded(receiver, batch));
        Assert.Equal(big.Length, batch[0].Data.Length);
    }

    private static int GetInt(UdpDatagramSocket socket, int level, int name)
    {
        Span<byte> value = stackalloc byte[4];
        socket.Socket.GetRawSocketOption(level, name, value);
        return BitConverter.ToInt32(value);
    }

    private static int LoopbackMtu() =>
        int.Parse(File.ReadAllText("/sys/class/net/lo/mtu").Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
