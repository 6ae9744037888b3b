using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>Loss detection state of one packet number space (RFC 9002 Appendix A.3, per-space variables).</summary>
internal sealed class SpaceRecoveryState
{
    /// <summary>Outstanding packets, and acknowledged ones not yet at the front. Its front is always outstanding after cleanup.</summary>
    public readonly SentPacketRing Sent = new();
    /// <summary>Packets declared lost, kept for a while so a late ACK is recognised as a spurious loss (ascending: losses follow packet order).</summary>
    public readonly SentPacketRing Lost = new(16);
    public long LargestSent = -1;
    public long LargestAcknowledged = -1;
    public Instant? LossTime;
    public Instant? TimeOfLastAckElicitingPacket;
    public int AckElicitingInFlight;
    public long BytesInFlight;
    public long EcnCeCount;
    public bool IsDiscarded;
}
