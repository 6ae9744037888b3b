using System.Net;

namespace Transport.Core.Simulation;

/// <summary>A copy of a datagram travelling on a link, waiting in the simulator's delivery queue.</summary>
internal readonly struct PendingDelivery(
    byte[] buffer, int length, SimulatedLink link, IPEndPoint source, long sentTicks, long linkSequence,
    SimulatedLink? natLink, IPEndPoint? addressedTo, long ticks, long sequence, byte ecn = 0)
{
    /// <summary>The delivery instant.</summary>
    public readonly long Ticks = ticks;
    /// <summary>Scheduling order across the whole simulator: breaks ties between equal delivery instants.</summary>
    public readonly long Sequence = sequence;
    /// <summary>Pooled buffer holding the payload (returned to the pool once delivered or dropped).</summary>
    public readonly byte[] Buffer = buffer;
    public readonly int Length = length;
    /// <summary>The link carrying the copy (real sender to real receiver).</summary>
    public readonly SimulatedLink Link = link;
    /// <summary>The sender's address as the receiver will see it.</summary>
    public readonly IPEndPoint Source = source;
    public readonly long SentTicks = sentTicks;
    public readonly long LinkSequence = linkSequence;
    /// <summary>
    /// When the datagram was addressed to a NAT mapping of the receiver: the link whose rebindings define the mapping
    /// (receiver to sender) and the address it was sent to; it is dropped unless that mapping is current on arrival.
    /// </summary>
    public readonly SimulatedLink? NatLink = natLink;
    public readonly IPEndPoint? AddressedTo = addressedTo;
    /// <summary>The ECN codepoint of the IP header as it arrives (after bleaching or CE marking).</summary>
    public readonly byte Ecn = ecn;
}
