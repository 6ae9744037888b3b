using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Transport.Bench.Link;

/// <summary>
/// A kernel TCP connection across a <see cref="NamespaceLink"/>: the client in namespace A with the congestion control
/// asked for (TCP_CONGESTION, checked after setting, so a module the kernel lacks fails loudly), the server in B.
/// </summary>
internal sealed class LinkTcpPair : IDisposable
{
    private LinkTcpPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static LinkTcpPair Connect(NamespaceLink link, int port, string congestionControl)
    {
        using var listener = link.CreateSocket(LinkSide.B, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(NamespaceLink.AddressB, port));
        listener.Listen(1);
        var client = link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            client.SetRawSocketOption(6, 13, Encoding.ASCII.GetBytes(congestionControl)); // IPPROTO_TCP, TCP_CONGESTION
            Span<byte> check = stackalloc byte[16];
            int len = client.GetRawSocketOption(6, 13, check);
            string actual = Encoding.ASCII.GetString(check[..len]).TrimEnd('\0');
            if (actual != congestionControl) throw new InvalidOperationException($"TCP_CONGESTION is '{actual}', not '{congestionControl}'.");
            client.Connect(new IPEndPoint(NamespaceLink.AddressB, port));
            return new LinkTcpPair(client, listener.Accept());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
    }
}
