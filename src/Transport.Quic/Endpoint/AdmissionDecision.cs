namespace Transport.Quic.Endpoint;

/// <summary>What the endpoint does with a client Initial that would start a new connection (see <see cref="HandshakeAdmission"/>).</summary>
public enum AdmissionDecision
{
    /// <summary>Create the connection and start the handshake.</summary>
    Accept,

    /// <summary>Answer with a Retry (<see cref="RetryPacketBuilder"/>) and keep no state.</summary>
    SendRetry,

    /// <summary>
    /// Answer with a CONNECTION_CLOSE of CONNECTION_REFUSED (0x02) in an Initial packet (RFC 9000 §10.2.3, §20.1) and
    /// keep no state: the server is full and the client learns it at once instead of timing out.
    /// </summary>
    Refuse,

    /// <summary>
    /// Answer with a CONNECTION_CLOSE of INVALID_TOKEN (0x0b) in an Initial packet (RFC 9000 §8.1.2: a client whose
    /// Retry token is invalid will not accept another Retry, so the server closes at once).
    /// </summary>
    CloseInvalidToken,

    /// <summary>Send nothing, keep nothing: the client's Initial retransmission timer is its back-off.</summary>
    Drop,
}
