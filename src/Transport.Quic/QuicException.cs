using Transport.Quic.Connection;

namespace Transport.Quic;

/// <summary>A QUIC connection or stream failed: carries the error code and who closed.</summary>
public sealed class QuicException : IOException
{
    /// <summary>Creates the exception.</summary>
    public QuicException(QuicError error, ulong? applicationErrorCode, ulong? transportErrorCode, ConnectionCloseSource closeSource, string message)
        : base(message)
    {
        Error = error;
        ApplicationErrorCode = applicationErrorCode;
        TransportErrorCode = transportErrorCode;
        CloseSource = closeSource;
    }

    /// <summary>The kind of failure.</summary>
    public QuicError Error { get; }

    /// <summary>The application error code (CONNECTION_CLOSE 0x1d, RESET_STREAM, STOP_SENDING), when there is one.</summary>
    public ulong? ApplicationErrorCode { get; }

    /// <summary>The transport error code (CONNECTION_CLOSE 0x1c, RFC 9000 §20.1), when there is one.</summary>
    public ulong? TransportErrorCode { get; }

    /// <summary>Who ended the connection (<see cref="ConnectionCloseSource.None"/> for stream-level errors).</summary>
    public ConnectionCloseSource CloseSource { get; }

    internal static QuicException FromClose(in ConnectionEvent e)
    {
        QuicError error = e.CloseSource switch
        {
            ConnectionCloseSource.IdleTimeout => QuicError.ConnectionIdle,
            ConnectionCloseSource.StatelessReset => QuicError.StatelessReset,
            _ when e.IsApplicationError => QuicError.ConnectionAborted,
            _ => QuicError.TransportError,
        };
        string message = $"The connection was closed ({e.CloseSource}, {(e.IsApplicationError ? "application" : "transport")} error 0x{e.ErrorCode:x}{(e.Reason is { Length: > 0 } r ? ": " + r : "")}).";
        return new QuicException(error, e.IsApplicationError ? e.ErrorCode : null, e.IsApplicationError ? null : e.ErrorCode, e.CloseSource, message);
    }
}
