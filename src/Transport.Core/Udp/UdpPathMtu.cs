using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Transport.Core.Udp.LinuxUdpNative;

namespace Transport.Core.Udp;

/// <summary>
/// What the local routing table says about a destination: the MTU of the route (the outgoing interface's MTU, or a
/// route's own <c>mtu</c> attribute), turned into the largest UDP payload that leaves this host unfragmented. It is
/// an upper bound for path MTU discovery (RFC 8899 §5.1.2: a sender never probes above the local interface's MTU),
/// not the path MTU itself: routers further on may have smaller links, which only probing finds.
/// </summary>
/// <remarks>
/// Linux: a UDP socket is connected to the destination (which sends nothing; it only looks up the route) and asked
/// for IP_MTU / IPV6_MTU. Loopback's MTU is 65536, so on it the answer is the protocol maximum (65507 bytes over IPv4,
/// 65487 over IPv6); an Ethernet route gives 1472 / 1452. Other systems: no answer.
/// </remarks>
public static class UdpPathMtu
{
    /// <summary>IPv4 header without options (20) plus the UDP header (8).</summary>
    public const int IPv4Overhead = 28;

    /// <summary>IPv6 header without extension headers (40) plus the UDP header (8).</summary>
    public const int IPv6Overhead = 48;

    /// <summary>The largest UDP payload of an IPv4 datagram: 65535 - 20 - 8 (its total length field is 16 bits).</summary>
    public const int MaxIPv4Payload = 65507;

    /// <summary>The largest UDP payload of an IPv6 datagram without a jumbogram option: 65535 - 8.</summary>
    public const int MaxIPv6Payload = 65527;

    /// <summary>
    /// The largest UDP payload a datagram to <paramref name="remote"/> can carry without fragmentation on the route's
    /// first hop: the route's MTU less the IP and UDP headers (IPv4-mapped IPv6 addresses count as IPv4). False when
    /// the OS cannot tell (not Linux, no route, a refused socket call).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="remote"/> is null.</exception>
    public static bool TryGetMaxUdpPayload(IPEndPoint remote, out int maxPayload)
    {
        ArgumentNullException.ThrowIfNull(remote);
        maxPayload = 0;
        if (!OperatingSystem.IsLinux()) return false;
        IPAddress address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!v4 && address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        // Port 0 is not a valid destination for connect(); the route does not depend on the port.
        var destination = new IPEndPoint(address, remote.Port == 0 ? 9 : remote.Port);
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(destination); // UDP: a route lookup, no packet
            Span<byte> value = stackalloc byte[sizeof(int)];
            int length = socket.GetRawSocketOption(v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, value);
            if (length != sizeof(int)) return false;
            int mtu = MemoryMarshal.Read<int>(value);
            if (mtu <= 0) return false;
            maxPayload = FromMtu(mtu, v4);
            return maxPayload > 0;
        }
        catch (SocketException)
        {
            return false; // e.g. ENETUNREACH: no route to that destination
        }
    }

    /// <summary>The largest UDP payload of an unfragmented datagram on a link of <paramref name="mtu"/> bytes (IP MTU).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mtu"/> is not positive.</exception>
    public static int FromMtu(int mtu, bool ipv4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        return ipv4
            ? Math.Min(mtu - IPv4Overhead, MaxIPv4Payload)
            : Math.Min(mtu - IPv6Overhead, MaxIPv6Payload);
    }
}
