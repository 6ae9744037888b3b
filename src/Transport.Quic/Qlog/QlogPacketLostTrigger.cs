namespace Transport.Quic.Qlog;

/// <summary>Why loss detection declared a packet lost: the <c>trigger</c> of <c>recovery:packet_lost</c> (quic-events -02).</summary>
public enum QlogPacketLostTrigger
{
    /// <summary>No trigger is logged.</summary>
    None,
    /// <summary><c>"reordering_threshold"</c>: kPacketThreshold newer packets were acknowledged (RFC 9002 §6.1.1).</summary>
    ReorderingThreshold,
    /// <summary><c>"time_threshold"</c>: sent too long before a newer acknowledged packet (RFC 9002 §6.1.2).</summary>
    TimeThreshold,
    /// <summary><c>"pto_expired"</c>: declared lost when a probe timeout fired (RFC 9002 §6.2).</summary>
    PtoExpired,
}
