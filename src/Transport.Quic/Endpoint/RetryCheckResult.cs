namespace Transport.Quic.Endpoint;

/// <summary>The verdict of <see cref="ClientRetryValidator"/> on a received Retry packet. Anything but <see cref="Accepted"/> means discard it.</summary>
public enum RetryCheckResult
{
    /// <summary>Use it: restart the handshake with its Source Connection ID and token (RFC 9000 §17.2.5.2).</summary>
    Accepted,

    /// <summary>Not a parsable Retry packet, or its token is empty (RFC 9000 §17.2.5.2).</summary>
    Malformed,

    /// <summary>Another version than the client's Initial.</summary>
    WrongVersion,

    /// <summary>Its Destination Connection ID is not the client's Source Connection ID.</summary>
    WrongDestination,

    /// <summary>The Retry Integrity Tag does not verify (RFC 9001 §5.8).</summary>
    InvalidIntegrityTag,

    /// <summary>Its Source Connection ID equals the client's original Destination Connection ID (RFC 9000 §17.2.5.2).</summary>
    SameSourceConnectionId,

    /// <summary>A Retry was already accepted, or a server Initial already processed: at most one Retry (RFC 9000 §17.2.5.2).</summary>
    TooLate,
}
