namespace Transport.Quic.Tls;

/// <summary>What became of 0-RTT on this handshake (RFC 8446 §4.2.10, RFC 9001 §4.6).</summary>
public enum TlsEarlyDataStatus
{
    /// <summary>The client did not offer early data.</summary>
    NotOffered,

    /// <summary>The client offered early data; the server has not answered yet.</summary>
    Offered,

    /// <summary>The server accepted early data: 0-RTT packets count.</summary>
    Accepted,

    /// <summary>The server rejected early data (or sent HelloRetryRequest): everything sent in 0-RTT must be resent in 1-RTT.</summary>
    Rejected,
}
