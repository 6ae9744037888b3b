using System.Net;

namespace Transport.Core.Udp;

/// <summary>How a <see cref="UdpDatagramSocket"/> is bound and tuned.</summary>
public sealed class UdpSocketOptions
{
    /// <summary>
    /// The local address and port to bind. Default <c>[::]:0</c> (any IPv6 address, a port the OS picks), which with
    /// <see cref="DualMode"/> also receives IPv4. An IPv4 address gives an IPv4-only socket.
    /// </summary>
    public IPEndPoint LocalEndPoint { get; set; } = new(IPAddress.IPv6Any, 0);

    /// <summary>
    /// For an IPv6 <see cref="LocalEndPoint"/>: also send to and receive from IPv4 peers, whose addresses then appear
    /// as IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>). Default true. Ignored for an IPv4 bind.
    /// </summary>
    public bool DualMode { get; set; } = true;

    /// <summary>Socket send buffer size in bytes (SO_SNDBUF); 0 keeps the OS default.</summary>
    public int SendBufferSize { get; set; }

    /// <summary>Socket receive buffer size in bytes (SO_RCVBUF); 0 keeps the OS default.</summary>
    public int ReceiveBufferSize { get; set; }

    /// <summary>
    /// Send trains of equal-size datagrams in one system call with UDP generic segmentation offload (Linux
    /// <c>UDP_SEGMENT</c>) where the kernel supports it. Default true; without support the socket falls back to one
    /// send per datagram.
    /// </summary>
    public bool EnableGso { get; set; } = true;

    /// <summary>
    /// Receive with UDP generic receive offload (Linux <c>UDP_GRO</c>): the kernel coalesces trains of equal-size
    /// datagrams into one message, which the receive batch splits again. Default true. Either way, on Linux one
    /// <c>recvmmsg</c> call returns many datagrams; elsewhere the socket receives one datagram per system call.
    /// </summary>
    public bool EnableGro { get; set; } = true;

    /// <summary>
    /// Ask the kernel for each received datagram's IP TOS / IPv6 traffic class byte (the ECN bits live in its low two
    /// bits), reported in <see cref="DatagramMetadata.TypeOfService"/>. Only the batched (Linux recvmmsg) receive path
    /// reports it. Default false.
    /// </summary>
    public bool ReceiveTypeOfService { get; set; }

    /// <summary>
    /// The ECN codepoint (RFC 3168 §5) every datagram this socket sends carries in the low two bits of its IP TOS /
    /// IPv6 traffic class byte: 0 Not-ECT (default), 2 ECT(0) (what QUIC uses, RFC 9000 §13.4), 1 ECT(1). Set with
    /// IP_TOS / IPV6_TCLASS on Linux only; elsewhere, or when the kernel refuses, datagrams go out unmarked
    /// (<see cref="UdpDatagramSocket.SendEcnCodepoint"/> says what is in effect). CE (3) is never sent by an endpoint.
    /// </summary>
    public int SendEcnCodepoint { get; set; }

    /// <summary>
    /// Send every datagram with the IPv4 Don't Fragment bit, and never fragment IPv6 datagrams locally (RFC 9000 §14:
    /// QUIC datagrams must not be fragmented at the IP layer), leaving path MTU discovery to the protocol above
    /// (DPLPMTUD, RFC 8899): on Linux IP_MTU_DISCOVER / IPV6_MTU_DISCOVER = *_PMTUDISC_PROBE, which also makes the
    /// kernel ignore its own path MTU cache, so a probe larger than the route's MTU fails with
    /// <see cref="System.Net.Sockets.SocketError.MessageSize"/> instead of being fragmented. Elsewhere the portable
    /// <see cref="System.Net.Sockets.Socket.DontFragment"/> for IPv4. Default true;
    /// <see cref="UdpDatagramSocket.IsDontFragmentEnabled"/> says whether it took effect.
    /// </summary>
    public bool DontFragment { get; set; } = true;

    /// <summary>
    /// Linux only, for tests: set IP_RECVERR / IPV6_RECVERR so ICMP errors about earlier sends surface as
    /// ConnectionRefused on the next socket call, which the receive path must survive.
    /// </summary>
    internal bool ReportIcmpErrors { get; set; }

    /// <summary>
    /// For tests and benchmarks: use only the portable Socket calls (one datagram per system call, no GSO, GRO,
    /// sendmmsg or recvmmsg), as on an OS without the Linux calls.
    /// </summary>
    internal bool PortableSystemCalls { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    internal void Validate()
    {
        if (LocalEndPoint is null)
            throw new ArgumentException("UdpSocketOptions.LocalEndPoint must be set.", nameof(LocalEndPoint));
        if (LocalEndPoint.AddressFamily is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6))
            throw new ArgumentException($"UdpSocketOptions.LocalEndPoint must be IPv4 or IPv6, not {LocalEndPoint.AddressFamily}.", nameof(LocalEndPoint));
        if (SendEcnCodepoint is < 0 or > 2)
            throw new ArgumentException($"UdpSocketOptions.SendEcnCodepoint must be 0 (Not-ECT), 1 (ECT(1)) or 2 (ECT(0)), not {SendEcnCodepoint}.", nameof(SendEcnCodepoint));
        if (SendBufferSize < 0)
            throw new ArgumentException($"UdpSocketOptions.SendBufferSize must be 0 (OS default) or positive, not {SendBufferSize}.", nameof(SendBufferSize));
        if (ReceiveBufferSize < 0)
            throw new ArgumentException($"UdpSocketOptions.ReceiveBufferSize must be 0 (OS default) or positive, not {ReceiveBufferSize}.", nameof(ReceiveBufferSize));
    }
}
