namespace Transport.Reliable;

/// <summary>The three packet number spaces of QUIC (RFC 9000 §12.3); loss detection runs separately in each.</summary>
public enum PacketNumberSpace
{
    /// <summary>Initial packets.</summary>
    Initial = 0,

    /// <summary>Handshake packets.</summary>
    Handshake = 1,

    /// <summary>0-RTT and 1-RTT packets.</summary>
    ApplicationData = 2,
}
