namespace Transport.Quic.Endpoint;

/// <summary>What <see cref="StatelessResetResponder"/> did with a datagram that matched no connection.</summary>
public enum StatelessResetOutcome
{
    /// <summary>A Stateless Reset was written; send it to the datagram's source.</summary>
    Send,

    /// <summary>Not a short header (long-header packets for unknown connections get Version Negotiation or nothing): drop.</summary>
    NotShortHeader,

    /// <summary>
    /// Too small to answer: shorter than the smallest protected short-header packet with the endpoint's connection ID
    /// length, or too short for a reset smaller than itself (RFC 9000 §10.3.3). Drop.
    /// </summary>
    TooSmall,

    /// <summary>The endpoint's or this address's reset budget is spent (RFC 9000 §10.3.3). Drop.</summary>
    RateLimited,

    /// <summary>The destination buffer cannot hold the reset. Drop.</summary>
    BufferTooSmall,
}
