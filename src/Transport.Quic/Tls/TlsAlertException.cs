namespace Transport.Quic.Tls;

/// <summary>
/// Raised inside the handshake when the peer's input is bad; caught at <see cref="TlsHandshake.ProcessCryptoData"/>
/// and turned into a <see cref="TlsResult"/>. Never escapes the TLS component.
/// </summary>
internal sealed class TlsAlertException : Exception
{
    public TlsAlertException(TlsAlert alert, string message) : base(message) => Alert = alert;

    /// <summary>The alert to send (as CRYPTO_ERROR 0x0100 + alert).</summary>
    public TlsAlert Alert { get; }

    /// <summary>When set, the error is this transport error instead of a CRYPTO_ERROR (RFC 9001 §8.4 asks for PROTOCOL_VIOLATION).</summary>
    public TransportErrorCode? TransportError { get; init; }
}
