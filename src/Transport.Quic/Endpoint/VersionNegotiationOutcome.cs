namespace Transport.Quic.Endpoint;

/// <summary>What <see cref="VersionNegotiationResponder"/> decided about a datagram.</summary>
public enum VersionNegotiationOutcome
{
    /// <summary>A Version Negotiation packet was written; send it to the datagram's source.</summary>
    Send,

    /// <summary>The version is supported: hand the datagram on to connection routing.</summary>
    Supported,

    /// <summary>A short header: not a version question (route it by connection ID).</summary>
    NotLongHeader,

    /// <summary>A Version Negotiation packet itself: never answered (RFC 9000 §6.1). Drop.</summary>
    IsVersionNegotiation,

    /// <summary>
    /// An unsupported version in a datagram under 1200 bytes, too small to start a connection: drop (RFC 9000 §5.2.2,
    /// §14.1).
    /// </summary>
    TooSmall,

    /// <summary>The invariant header is truncated. Drop.</summary>
    Malformed,

    /// <summary>The destination buffer cannot hold the packet. Drop.</summary>
    BufferTooSmall,
}
