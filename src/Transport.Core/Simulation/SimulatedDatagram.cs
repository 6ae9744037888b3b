using System.Net;
using Transport.Core.Time;

namespace Transport.Core.Simulation;

/// <summary>
/// A datagram the simulator delivers. <see cref="Payload"/> lives in a pooled buffer and stays valid only until the next
/// call to <see cref="NetworkSimulator.TryReceive"/> or <see cref="NetworkSimulator.DeliverDue"/> (for the callback form,
/// until the callback returns): copy it to keep it.
/// </summary>
public readonly struct SimulatedDatagram
{
    internal SimulatedDatagram(IPEndPoint source, IPEndPoint destination, ReadOnlyMemory<byte> payload, Instant sentAt, Instant deliveredAt, byte ecn = 0)
    {
        Ecn = ecn;
        Source = source;
        Destination = destination;
        Payload = payload;
        SentAt = sentAt;
        DeliveredAt = deliveredAt;
    }

    /// <summary>The sender's address as the receiver sees it, after any NAT rebinding.</summary>
    public IPEndPoint Source { get; }

    /// <summary>The receiving endpoint's own address.</summary>
    public IPEndPoint Destination { get; }

    /// <summary>The bytes received (possibly corrupted by the link). Valid until the next receive call.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>
    /// The ECN codepoint (RFC 3168: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE) the datagram arrived with: what the sender set,
    /// cleared by a bleaching link or turned into CE by a marking one.
    /// </summary>
    public byte Ecn { get; }

    /// <summary>The instant the sender sent the datagram.</summary>
    public Instant SentAt { get; }

    /// <summary>The instant the datagram arrived (its scheduled delivery time, which may be before the receive call's instant).</summary>
    public Instant DeliveredAt { get; }
}
