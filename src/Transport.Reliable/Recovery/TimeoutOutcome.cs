namespace Transport.Reliable.Recovery;

/// <summary>
/// What the loss detection timer did (RFC 9002 Appendix A.9). <see cref="Lost"/> points into a buffer owned by the
/// <see cref="LossDetector"/> and stays valid until its next call.
/// </summary>
public readonly ref struct TimeoutOutcome
{
    /// <summary>What happened.</summary>
    public LossDetectionTimeoutKind Kind { get; init; }

    /// <summary>The packet number space concerned: where packets were declared lost, or where to send the probes.</summary>
    public PacketNumberSpace Space { get; init; }

    /// <summary>How many ack-eliciting probe packets to send now, bypassing the congestion window (RFC 9002 §6.2.4, §7.5).</summary>
    public int ProbeCount { get; init; }

    /// <summary>Packets declared lost by the time threshold, in ascending packet number order.</summary>
    public ReadOnlySpan<SentPacket> Lost { get; init; }

    /// <summary>True when the losses established persistent congestion (RFC 9002 §7.6).</summary>
    public bool IsPersistentCongestion { get; init; }
}
