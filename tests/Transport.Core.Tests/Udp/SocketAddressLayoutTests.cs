using System.Net;
using System.Net.Sockets;

namespace Transport.Core.Tests.Udp;

/// <summary>
/// The GSO/GRO path hands <see cref="SocketAddress.Buffer"/> to sendmsg and copies recvmmsg's sockaddr into it, which is
/// right only if .NET keeps exactly the native Linux sockaddr bytes there.
/// </summary>
public sealed class SocketAddressLayoutTests
{
    [LinuxFact]
    public void Ipv4_socket_address_buffer_is_a_native_sockaddr_in()
    {
        SocketAddress a = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 0x1234).Serialize();
        Span<byte> expected = stackalloc byte[16];
        BitConverter.TryWriteBytes(expected, (ushort)2); // sa_family_t AF_INET, host order
        expected[2] = 0x12; expected[3] = 0x34;          // port, network order
        expected[4] = 192; expected[5] = 0; expected[6] = 2; expected[7] = 7;
        Assert.Equal(16, a.Size);
        Assert.Equal(expected.ToArray(), a.Buffer.Span[..a.Size].ToArray());
    }

    [LinuxFact]
    public void Ipv6_socket_address_buffer_is_a_native_sockaddr_in6()
    {
        var address = IPAddress.Parse("2001:db8::1");
        address.ScopeId = 3;
        SocketAddress a = new IPEndPoint(address, 443).Serialize();
        Span<byte> expected = stackalloc byte[28];
        BitConverter.TryWriteBytes(expected, (ushort)10); // AF_INET6 on Linux
        expected[2] = 0x01; expected[3] = 0xBB;            // 443
        // flowinfo 0 at 4..8
        address.GetAddressBytes().CopyTo(expected[8..]);
        BitConverter.TryWriteBytes(expected[24..], 3u);    // sin6_scope_id, host order
        Assert.Equal(28, a.Size);
        Assert.Equal(expected.ToArray(), a.Buffer.Span[..a.Size].ToArray());
    }
}
