namespace Transport.Quic.Endpoint;

/// <summary>When a server answers a client Initial without a valid token with a Retry (RFC 9000 §8.1.2).</summary>
public enum RetryMode
{
    /// <summary>Never: every client's address is validated by the handshake itself (3x amplification limit, RFC 9000 §8.1).</summary>
    Never,

    /// <summary>Always: every client without a valid token first proves its address with a Retry (costs one round trip).</summary>
    Always,

    /// <summary>Only while at least <see cref="HandshakeAdmissionOptions.RetryThreshold"/> handshakes are in flight (under load or attack).</summary>
    WhenBusy,
}
