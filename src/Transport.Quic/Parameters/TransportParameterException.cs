namespace Transport.Quic.Parameters;

/// <summary>
/// The peer's transport parameters are malformed, out of range, repeated, missing or not allowed for its role: close
/// the connection with <see cref="ErrorCode"/>, TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.4, §18.2).
/// </summary>
public sealed class TransportParameterException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong.</summary>
    public TransportParameterException(string message) : base(message) { }

    /// <summary>The transport error code to close the connection with.</summary>
    public TransportErrorCode ErrorCode => TransportErrorCode.TransportParameterError;
}
