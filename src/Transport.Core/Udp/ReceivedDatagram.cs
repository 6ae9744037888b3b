using System.Net;

namespace Transport.Core.Udp;

/// <summary>One datagram of a <see cref="DatagramBatch"/>: views into the batch, valid until its next receive.</summary>
public readonly ref struct ReceivedDatagram
{
    internal ReceivedDatagram(Span<byte> data, SocketAddress remote, DatagramMetadata metadata)
    {
        Data = data;
        Remote = remote;
        Metadata = metadata;
    }

    /// <summary>The datagram's payload.</summary>
    public Span<byte> Data { get; }

    /// <summary>The sender, in the receiving socket's address family (IPv4 peers of a dual-mode socket appear IPv4-mapped).</summary>
    public SocketAddress Remote { get; }

    /// <summary>Segment and TOS/ECN information.</summary>
    public DatagramMetadata Metadata { get; }
}
