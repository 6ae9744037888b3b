namespace Transport.Quic.Qlog;

/// <summary>What caused a key change: the <c>trigger</c> of <c>security:key_updated</c>/<c>key_retired</c> (quic-events -02).</summary>
public enum QlogKeyUpdateTrigger
{
    /// <summary>No trigger is logged.</summary>
    None,
    /// <summary><c>"tls"</c>: Initial, Handshake, 0-RTT and the first 1-RTT keys come from the TLS handshake.</summary>
    Tls,
    /// <summary><c>"remote_update"</c>: the peer flipped the Key Phase bit (RFC 9001 §6.2).</summary>
    RemoteUpdate,
    /// <summary><c>"local_update"</c>: this endpoint initiated a key update (RFC 9001 §6.1).</summary>
    LocalUpdate,
}
