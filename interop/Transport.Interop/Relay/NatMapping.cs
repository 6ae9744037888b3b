using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Relay;

/// <summary>One NAT mapping: a client source address:port and the upstream sockets it has had (one per rebinding epoch).</summary>
internal sealed class NatMapping
{
    public NatMapping(IPEndPoint client, SocketAddress clientAddress)
    {
        Client = client;
        ClientAddress = clientAddress;
    }

    /// <summary>The client's real source address.</summary>
    public IPEndPoint Client { get; }

    /// <summary>The same, serialized for sends.</summary>
    public SocketAddress ClientAddress { get; }

    /// <summary>The upstream binding of the newest epoch; null before the first datagram reaches the server side.</summary>
    public UpstreamBinding? Current { get; set; }
}

/// <summary>An upstream socket of a mapping: the source the server sees, valid during one rebinding epoch.</summary>
internal sealed class UpstreamBinding
{
    public UpstreamBinding(NatMapping mapping, Socket socket, int epoch)
    {
        Mapping = mapping;
        Socket = socket;
        Epoch = epoch;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public NatMapping Mapping { get; }
    public Socket Socket { get; }
    public int Epoch { get; }
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The TOS/traffic class last set on the socket (only the to-server thread sends on it).</summary>
    public int LastTrafficClass { get; set; }
}
