namespace Transport.Quic.Qlog;

/// <summary>Why a packet was sent, when it matters: the <c>trigger</c> of <c>transport:packet_sent</c> (quic-events -02).</summary>
public enum QlogPacketSentTrigger
{
    /// <summary>No trigger is logged (ordinary sends).</summary>
    None,
    /// <summary><c>"retransmit_reordered"</c>: carries data of a packet lost by the packet threshold.</summary>
    RetransmitReordered,
    /// <summary><c>"retransmit_timeout"</c>: carries data of a packet lost by the time threshold.</summary>
    RetransmitTimeout,
    /// <summary><c>"pto_probe"</c>: a probe packet sent when the PTO fired (RFC 9002 §6.2.4).</summary>
    PtoProbe,
    /// <summary><c>"retransmit_crypto"</c>: retransmitted handshake data.</summary>
    RetransmitCrypto,
    /// <summary><c>"cc_bandwidth_probe"</c>: sent by the congestion controller to probe for bandwidth.</summary>
    CcBandwidthProbe,
}
