using System.Net;

namespace Transport.Interop.Relay;

/// <summary>Settings of a <see cref="UdpRelay"/>.</summary>
public sealed class UdpRelayOptions
{
    /// <summary>
    /// Where the relay listens for clients: the "server address" the client targets. Port 0 picks a free port (read
    /// <see cref="UdpRelay.ListenEndPoint"/>). Default 127.0.0.1:0.
    /// </summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// A second client-facing address, forwarded to <see cref="PreferredServerEndPoint"/> (connectionmigration: the
    /// server advertises this address as its preferred_address). Upstream, the same NAT mapping (source address) is
    /// used for both server ports, as a routed network would. Null (default): none.
    /// </summary>
    public IPEndPoint? PreferredListenEndPoint { get; set; }

    /// <summary>The server's preferred address (its second socket), where <see cref="PreferredListenEndPoint"/> forwards to.</summary>
    public IPEndPoint? PreferredServerEndPoint { get; set; }

    /// <summary>The real server. Required.</summary>
    public IPEndPoint? ServerEndPoint { get; set; }

    /// <summary>
    /// The address the relay's upstream sockets (one per NAT mapping) bind to before any address rebinding; null = the
    /// loopback address of the server's family.
    /// </summary>
    public IPAddress? UpstreamAddress { get; set; }

    /// <summary>The network scenario. Default <see cref="RelayScenario.Default"/> (15 ms, 10 Mbit/s, 25 packets).</summary>
    public RelayScenario Scenario { get; set; } = RelayScenario.Default;

    /// <summary>Seed of every random choice (drops, corruption, rebinding addresses), for repeatable runs.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>pcap of the client side (client ↔ relay), like the runner's trace_node_left.pcap; null = none.</summary>
    public string? ClientPcapPath { get; set; }

    /// <summary>pcap of the server side (relay ↔ server), like the runner's trace_node_right.pcap; null = none.</summary>
    public string? ServerPcapPath { get; set; }

    /// <summary>The relay stops forwarding this long after it started (its threads end); null = runs until disposed.</summary>
    public TimeSpan? Lifetime { get; set; }

    /// <summary>
    /// How close to a datagram's due time the forwarding thread stops sleeping and spins. Larger = more precise and more
    /// CPU. Default 200 µs.
    /// </summary>
    public TimeSpan SpinThreshold { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// Linux: run the relay's four threads under SCHED_FIFO (real-time) priority, so that other processes on a loaded
    /// machine delay forwarding less. Needs root / CAP_SYS_NICE; silently not applied otherwise (see
    /// <see cref="UdpRelay.RealTimeThreads"/>). The threads sleep between datagrams and spin at most
    /// <see cref="SpinThreshold"/> before each one, so they cannot monopolize a core. Default false.
    /// </summary>
    public bool RealTimePriority { get; set; }

    /// <summary>Optional log of notable events (rebinding, stale drops), one line each. Default none.</summary>
    public TextWriter? Log { get; set; }

    /// <summary>
    /// The crosstraffic test's iperf3 TCP Cubic flow from the server side to the client side, modelled on the to-client
    /// bottleneck (<see cref="CubicCrossFlow"/>) for the relay's whole lifetime.
    /// </summary>
    public bool TcpCubicCrossTraffic { get; set; }

    /// <summary>
    /// Linux SO_MARK of every upstream socket (relay → server), or 0 (default) for none: a <see cref="LoopbackRedirect"/>
    /// skips datagrams with this mark, so the relay itself still reaches a server address whose other traffic is
    /// redirected to the relay. Needs root (CAP_NET_ADMIN); the relay throws <see cref="InvalidOperationException"/>
    /// when the mark cannot be set.
    /// </summary>
    public uint UpstreamSocketMark { get; set; }
}
