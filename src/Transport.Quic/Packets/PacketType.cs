namespace Transport.Quic.Packets;

/// <summary>The kinds of QUIC packet (RFC 9000 §17).</summary>
public enum PacketType
{
    /// <summary>Initial (long header): the first packets of the handshake, carrying CRYPTO and an optional token.</summary>
    Initial,
    /// <summary>0-RTT (long header): early data from the client.</summary>
    ZeroRtt,
    /// <summary>Handshake (long header): the rest of the TLS handshake.</summary>
    Handshake,
    /// <summary>Retry (long header): a server's address-validation token, unprotected but for the integrity tag.</summary>
    Retry,
    /// <summary>Version Negotiation (long header with version 0, RFC 8999 §6; RFC 9000 §17.2.1).</summary>
    VersionNegotiation,
    /// <summary>1-RTT (short header).</summary>
    OneRtt,
}
