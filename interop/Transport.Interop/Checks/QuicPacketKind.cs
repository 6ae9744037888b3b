namespace Transport.Interop.Checks;

/// <summary>A QUIC packet's type as the runner's trace.py classifies it (get_packet_type).</summary>
public enum QuicPacketKind
{
    /// <summary>Initial (v1 type 0, v2 type 1).</summary>
    Initial,
    /// <summary>Handshake (v1 type 2, v2 type 3).</summary>
    Handshake,
    /// <summary>0-RTT (v1 type 1, v2 type 2).</summary>
    ZeroRtt,
    /// <summary>Retry (v1 type 3, v2 type 0).</summary>
    Retry,
    /// <summary>Short header (1-RTT).</summary>
    OneRtt,
    /// <summary>Version Negotiation (version 0).</summary>
    VersionNegotiation,
    /// <summary>Anything tshark could not classify.</summary>
    Invalid,
}
