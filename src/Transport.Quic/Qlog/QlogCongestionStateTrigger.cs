namespace Transport.Quic.Qlog;

/// <summary>The <c>trigger</c> of <c>recovery:congestion_state_updated</c> (quic-events -02).</summary>
public enum QlogCongestionStateTrigger
{
    /// <summary>No trigger is logged (the new state has only one cause).</summary>
    None,
    /// <summary><c>"persistent_congestion"</c> (RFC 9002 §7.6).</summary>
    PersistentCongestion,
    /// <summary><c>"ECN"</c>: an increase in the ECN-CE count (RFC 9002 §7.1).</summary>
    Ecn,
}
