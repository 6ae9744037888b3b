namespace Transport.Reliable.Recovery;

/// <summary>What the loss detection timer did when it fired (RFC 9002 §6.2, Appendix A.9).</summary>
public enum LossDetectionTimeoutKind
{
    /// <summary>Nothing: the timer was not armed or had not expired yet.</summary>
    None,

    /// <summary>Time-threshold loss detection declared packets lost (RFC 9002 §6.1.2).</summary>
    LossTime,

    /// <summary>The probe timeout fired: send <see cref="TimeoutOutcome.ProbeCount"/> ack-eliciting packets in <see cref="TimeoutOutcome.Space"/> (RFC 9002 §6.2.4).</summary>
    ProbeTimeout,

    /// <summary>
    /// The client's anti-deadlock timer fired (RFC 9002 §6.2.2.1): send one ack-eliciting packet, a Handshake packet if it
    /// has Handshake keys, else a padded Initial packet.
    /// </summary>
    AntiDeadlockProbe,
}
