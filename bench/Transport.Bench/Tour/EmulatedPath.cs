using System.Net;
using System.Net.Sockets;
using Transport.Bench.Link;
using Transport.Quic;
using Transport.Quic.Connection;

namespace Transport.Bench.Tour;

/// <summary>
/// One emulated network path (round-trip time, random loss both ways) for the setup and hol sections. As root, a
/// <see cref="NamespaceLink"/>: two network namespaces joined by the userspace TUN forwarder (100 Mbit/s bottleneck
/// with a 1-BDP queue each way), servers in B and clients in A, so every contender crosses the same path. Without
/// root, only UDP contenders run, through a <see cref="DelayRelay"/> on loopback (same delay and loss, no bottleneck);
/// TCP cannot be delayed without the namespaces. Set TOUR_LINK=relay to force the relay.
/// </summary>
internal sealed class EmulatedPath : IDisposable
{
    public const long BottleneckBitsPerSecond = 100_000_000;
    private static string? s_namespaceProblem;
    private static bool s_checked;
    private readonly NamespaceLink? _link;
    private readonly List<DelayRelay> _relays = [];
    private readonly int _seed;

    public EmulatedPath(TimeSpan rtt, double loss, int seed)
    {
        Rtt = rtt;
        Loss = loss;
        _seed = seed;
        if (NamespacesUsable(out _))
        {
            var conditions = LinkTool.PathConditions(rtt, BottleneckBitsPerSecond, loss);
            _link = new NamespaceLink(conditions, conditions, seed: (ulong)seed);
        }
    }

    public TimeSpan Rtt { get; }

    public double Loss { get; }

    /// <summary>True: the namespace link (all contenders); false: the loopback relay (UDP only).</summary>
    public bool IsNamespaceLink => _link is not null;

    /// <summary>Whether namespace links can be made here (cached); <paramref name="reason"/> says why not.</summary>
    public static bool NamespacesUsable(out string reason)
    {
        if (!s_checked)
        {
            if (Environment.GetEnvironmentVariable("TOUR_LINK") == "relay") s_namespaceProblem = "TOUR_LINK=relay";
            else if (!NamespaceLink.IsSupported(out string why)) s_namespaceProblem = why;
            s_checked = true;
        }
        reason = s_namespaceProblem ?? "";
        return s_namespaceProblem is null;
    }

    /// <summary>The text TCP rows show when there is no namespace link.</summary>
    public const string TcpNeedsRoot = "needs root (network namespaces): TCP cannot cross the loopback UDP relay";

    public static string Describe(bool namespaces) => namespaces
        ? "Path: two network namespaces joined by the userspace TUN forwarder (bench/Transport.Bench/Link), half the RTT each way, 100 Mbit/s bottleneck with a 1-BDP drop-tail queue, random loss both ways; servers in one namespace, clients in the other; every contender crosses the same path"
        : "Path: a UDP relay on loopback (Tour/DelayRelay: half the RTT each way, random loss both ways, no bottleneck); TCP contenders need the namespace link (root)";

    public Socket CreateTcpListener()
    {
        NamespaceLink link = _link ?? throw new InvalidOperationException(TcpNeedsRoot);
        return link.Run(LinkSide.B, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(NamespaceLink.AddressB, 0));
            socket.Listen(1024);
            return socket;
        });
    }

    public Socket CreateTcpClient()
    {
        NamespaceLink link = _link ?? throw new InvalidOperationException(TcpNeedsRoot);
        Socket socket = link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        return socket;
    }

    public QuicListener CreateQuicListener(ConnectionOptions serverOptions, bool acceptBeforeHandshakeCompletes = false)
    {
        QuicListener Listen(IPAddress address) => QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(address, 0),
            ServerConnectionOptions = serverOptions,
            AcceptBeforeHandshakeCompletes = acceptBeforeHandshakeCompletes,
        }).AsTask().GetAwaiter().GetResult();
        return _link is null ? Listen(IPAddress.Loopback) : _link.Run(LinkSide.B, () => Listen(NamespaceLink.AddressB));
    }

    /// <summary>One client socket for many connections, in namespace A (its threads too) or on loopback.</summary>
    public QuicClientEndpoint CreateQuicClientEndpoint() => _link is null
        ? new QuicClientEndpoint(new IPEndPoint(IPAddress.Loopback, 0))
        : _link.Run(LinkSide.A, () => new QuicClientEndpoint(new IPEndPoint(NamespaceLink.AddressA, 0)));

    /// <summary>Where a QUIC client sends to reach <paramref name="server"/>: the server itself, or a new relay in front of it.</summary>
    public IPEndPoint QuicTarget(IPEndPoint server)
    {
        if (_link is not null) return server;
        var relay = new DelayRelay(server, Rtt / 2, Loss, _seed + _relays.Count);
        _relays.Add(relay);
        return relay.EndPoint;
    }

    public void Dispose()
    {
        foreach (DelayRelay relay in _relays) relay.Dispose();
        _link?.Dispose();
    }
}
