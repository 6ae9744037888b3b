using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>Loss detection state of one packet number space (RFC 9002 Appendix A.3, per-space variables).</summary>
internal sealed class SpaceRecoveryState
{
    public readonly SentPacketRing Sent = new();
    public long LargestSent = -1;
    public long LargestAcknowledged = -1;
    public Instant? LossTime;
    public Instant? TimeOfLastAckElicitingPacket;
    public int AckElicitingInFlight;
    public long BytesInFlight;
    public long EcnCeCount;
    public bool IsDiscarded;
}
