namespace Transport.Reliable.Recovery;

/// <summary>
/// What processing one ACK frame found (RFC 9002 §6, Appendix A.7). The spans point into buffers owned by the
/// <see cref="LossDetector"/>: they stay valid until its next call.
/// </summary>
public readonly ref struct AckOutcome
{
    /// <summary><see cref="ReliableError.None"/>, or why the ACK frame was rejected (then nothing else is set and no state changed).</summary>
    public ReliableError Error { get; init; }

    /// <summary>Packets acknowledged for the first time, in ascending packet number order (including packets not in flight).</summary>
    public ReadOnlySpan<SentPacket> NewlyAcknowledged { get; init; }

    /// <summary>Packets this ACK caused to be declared lost, in ascending packet number order: their frames need retransmitting.</summary>
    public ReadOnlySpan<SentPacket> Lost { get; init; }

    /// <summary>
    /// Packets declared lost earlier that this ACK acknowledged after all: spurious losses (the controller was told through
    /// <see cref="Congestion.ICongestionController.OnSpuriousCongestionEvent"/>).
    /// </summary>
    public ReadOnlySpan<SentPacket> SpuriouslyLost { get; init; }

    /// <summary>True when the ACK produced an RTT sample (RFC 9002 §5.1).</summary>
    public bool HasRttSample { get; init; }

    /// <summary>True when the packets declared lost established persistent congestion (RFC 9002 §7.6).</summary>
    public bool IsPersistentCongestion { get; init; }

    /// <summary>True when the ACK reported an increased ECN-CE count (RFC 9002 §7.1), signalled to the controller.</summary>
    public bool IsEcnCongestion { get; init; }

    /// <summary>True when the ACK was accepted.</summary>
    public bool IsSuccess => Error == ReliableError.None;
}
