using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>Loss detection state of one packet number space (RFC 9002 Appendix A.3, per-space variables).</summary>
internal sealed class SpaceRecoveryState
{
    /// <summary>Outstanding packets, and acknowledged ones not yet at the front. Its front is always outstanding after cleanup.</summary>
    /// <remarks>Small at first (a slot is about 100 bytes and an idle connection has a handful of packets in flight); it doubles as a transfer needs.</remarks>
    public readonly SentPacketRing Sent = new(8);
    /// <summary>Packets declared lost, kept for a while so a late ACK is recognised as a spurious loss (ascending: losses follow packet order).</summary>
    public readonly SentPacketRing Lost = new(0);
    public long LargestSent = -1;
    public long LargestAcknowledged = -1;
    public Instant? LossTime;
    public Instant? TimeOfLastAckElicitingPacket;
    public int AckElicitingInFlight;
    public long BytesInFlight;
    public long EcnCeCount;
    public bool IsDiscarded;
}
