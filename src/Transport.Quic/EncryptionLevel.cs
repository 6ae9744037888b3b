namespace Transport.Quic;

/// <summary>The encryption levels of QUIC packet protection (RFC 9001 §4.1.4), in the order keys become available.</summary>
public enum EncryptionLevel
{
    /// <summary>Initial packets: keys derived from the client's first Destination Connection ID.</summary>
    Initial = 0,

    /// <summary>0-RTT packets: the client's early traffic secret.</summary>
    ZeroRtt = 1,

    /// <summary>Handshake packets: the TLS handshake traffic secrets.</summary>
    Handshake = 2,

    /// <summary>1-RTT packets: the TLS application traffic secrets.</summary>
    OneRtt = 3,
}
