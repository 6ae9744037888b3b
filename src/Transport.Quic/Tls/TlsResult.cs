namespace Transport.Quic.Tls;

/// <summary>
/// The outcome of feeding the handshake: success, or the error that must close the connection.
/// </summary>
internal readonly struct TlsResult
{
    private TlsResult(bool failed, TlsAlert alert, TransportErrorCode code, string? reason)
    {
        IsError = failed;
        Alert = alert;
        ErrorCode = code;
        Reason = reason;
    }

    /// <summary>Success.</summary>
    public static TlsResult Ok => default;

    /// <summary>A fatal TLS alert: the QUIC error code is 0x0100 + alert (RFC 9001 §4.8).</summary>
    public static TlsResult FromAlert(TlsAlert alert, string reason) =>
        new(true, alert, (TransportErrorCode)((ulong)TransportErrorCode.CryptoErrorBase + (byte)alert), reason);

    /// <summary>A transport error that is not a TLS alert (for example PROTOCOL_VIOLATION).</summary>
    public static TlsResult FromTransportError(TransportErrorCode code, TlsAlert alertEquivalent, string reason) =>
        new(true, alertEquivalent, code, reason);

    /// <summary>True when the handshake failed; the connection must close with <see cref="ErrorCode"/>.</summary>
    public bool IsError { get; }

    /// <summary>The TLS alert (meaningful only when <see cref="IsError"/>).</summary>
    public TlsAlert Alert { get; }

    /// <summary>The QUIC transport error code for CONNECTION_CLOSE: 0x0100 + alert, or a plain transport error.</summary>
    public TransportErrorCode ErrorCode { get; }

    /// <summary>A human-readable reason (for the CONNECTION_CLOSE reason phrase and logs).</summary>
    public string? Reason { get; }

    /// <inheritdoc/>
    public override string ToString() => IsError ? $"{ErrorCode} (0x{(ulong)ErrorCode:x}, alert {Alert}): {Reason}" : "OK";
}
