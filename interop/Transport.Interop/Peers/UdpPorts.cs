using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Peers;

/// <summary>Picks UDP ports for peers on loopback.</summary>
public static class UdpPorts
{
    /// <summary>
    /// A UDP port that is free on <paramref name="address"/> right now (bound and released; another process could
    /// take it before the peer binds, so starters retry on a bind failure).
    /// </summary>
    public static int GetFree(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
