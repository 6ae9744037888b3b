namespace Transport.Quic.Endpoint;

/// <summary>Limits and Retry policy for new connections at a server (see <see cref="HandshakeAdmission"/>).</summary>
public sealed class HandshakeAdmissionOptions
{
    /// <summary>When to send Retry to clients without a valid token. Default <see cref="RetryMode.WhenBusy"/>.</summary>
    public RetryMode RetryMode { get; init; } = RetryMode.WhenBusy;

    /// <summary>
    /// With <see cref="RetryMode.WhenBusy"/>: the number of handshakes in flight from which clients without a valid
    /// token get a Retry. Default 64.
    /// </summary>
    public int RetryThreshold { get; init; } = 64;

    /// <summary>
    /// The most handshakes in flight at once (like TCP's SYN queue). At the limit, new clients get a Retry when
    /// <see cref="RetryMode"/> is not <see cref="RetryMode.Never"/> and their address is not yet validated, and the
    /// <see cref="OverloadResponse"/> otherwise. Default 1024.
    /// </summary>
    public int MaxHandshakes { get; init; } = 1024;

    /// <summary>
    /// The most connections whose handshake completed but that the application has not accepted yet (like TCP's accept
    /// queue). While it is full, new clients get the <see cref="OverloadResponse"/>. Default 512.
    /// </summary>
    public int AcceptBacklog { get; init; } = 512;

    /// <summary>
    /// What a client gets when the server is full and a Retry would not help: <see cref="AdmissionDecision.Refuse"/>
    /// (the default: CONNECTION_REFUSED, so the client fails fast) or <see cref="AdmissionDecision.Drop"/> (silence;
    /// the client retransmits and may get in later, as a TCP SYN does when the accept queue is full).
    /// </summary>
    public AdmissionDecision OverloadResponse { get; init; } = AdmissionDecision.Refuse;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A limit below 1, a negative threshold, or an overload response other than Refuse or Drop.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(RetryMode)) throw new ArgumentOutOfRangeException(nameof(RetryMode), RetryMode, "Unknown retry mode.");
        if (RetryThreshold < 0) throw new ArgumentOutOfRangeException(nameof(RetryThreshold), RetryThreshold, "The retry threshold cannot be negative.");
        if (MaxHandshakes < 1) throw new ArgumentOutOfRangeException(nameof(MaxHandshakes), MaxHandshakes, "At least one handshake must be allowed.");
        if (AcceptBacklog < 1) throw new ArgumentOutOfRangeException(nameof(AcceptBacklog), AcceptBacklog, "The accept backlog must hold at least one connection.");
        if (OverloadResponse is not (AdmissionDecision.Refuse or AdmissionDecision.Drop))
            throw new ArgumentOutOfRangeException(nameof(OverloadResponse), OverloadResponse, "The overload response is Refuse or Drop.");
    }
}
