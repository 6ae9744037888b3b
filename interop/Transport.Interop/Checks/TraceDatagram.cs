using System.Net;

namespace Transport.Interop.Checks;

/// <summary>One captured UDP datagram and the QUIC packets tshark found in it.</summary>
public sealed class TraceDatagram
{
    /// <summary>Creates a record.</summary>
    public TraceDatagram(int number, double timeEpoch, IPEndPoint source, IPEndPoint destination, int udpLength, int ecn,
        TraceDirection direction, IReadOnlyList<QuicLayer> packets)
    {
        Number = number;
        TimeEpoch = timeEpoch;
        Source = source;
        Destination = destination;
        UdpLength = udpLength;
        Ecn = ecn;
        Direction = direction;
        Packets = packets;
    }

    /// <summary>Frame number in the pcap (1-based).</summary>
    public int Number { get; }

    /// <summary>Capture time, seconds since the Unix epoch.</summary>
    public double TimeEpoch { get; }

    /// <summary>Source address and port.</summary>
    public IPEndPoint Source { get; }

    /// <summary>Destination address and port.</summary>
    public IPEndPoint Destination { get; }

    /// <summary>UDP length field (payload + 8).</summary>
    public int UdpLength { get; }

    /// <summary>ECN codepoint of the IP header: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.</summary>
    public int Ecn { get; }

    /// <summary>Who sent it.</summary>
    public TraceDirection Direction { get; }

    /// <summary>The QUIC packets (coalesced packets are separate entries).</summary>
    public IReadOnlyList<QuicLayer> Packets { get; }

    /// <summary>True for an IPv6 datagram.</summary>
    public bool IsIPv6 => Source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}
