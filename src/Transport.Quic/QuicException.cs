using System.Text;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Quic;

/// <summary>
/// A QUIC connection or stream failed: carries the kind of failure (<see cref="Error"/>), the application or transport
/// error code, who closed (<see cref="CloseSource"/>) and, for a failed handshake, the TLS alert.
/// </summary>
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

    /// <summary>
    /// Who ended the connection: <see cref="ConnectionCloseSource.Peer"/> (the peer sent CONNECTION_CLOSE),
    /// <see cref="ConnectionCloseSource.Local"/> (this application closed), <see cref="ConnectionCloseSource.LocalTransportError"/>
    /// (this side detected an error, e.g. refused the peer's certificate), <see cref="ConnectionCloseSource.IdleTimeout"/>,
    /// <see cref="ConnectionCloseSource.StatelessReset"/>; <see cref="ConnectionCloseSource.None"/> for stream-level errors.
    /// </summary>
    public ConnectionCloseSource CloseSource { get; }

    /// <summary>The TLS alert when <see cref="TransportErrorCode"/> is a CRYPTO_ERROR (0x0100 + alert, RFC 9001 §4.8), else null.</summary>
    public TlsAlert? TlsAlert => TransportErrorCode is >= 0x100 and <= 0x1ff ? (TlsAlert)(byte)(TransportErrorCode.Value - 0x100) : null;

    /// <summary>The reason phrase of the CONNECTION_CLOSE frame, when there was one.</summary>
    public string? Reason { get; private init; }

    internal static QuicException FromClose(in ConnectionEvent e, bool handshakeCompleted)
    {
        bool transport = !e.IsApplicationError && e.CloseSource is ConnectionCloseSource.Peer or ConnectionCloseSource.LocalTransportError;
        QuicError error = e.CloseSource switch
        {
            ConnectionCloseSource.IdleTimeout => QuicError.ConnectionIdle,
            ConnectionCloseSource.StatelessReset => QuicError.StatelessReset,
            ConnectionCloseSource.VersionNegotiation => QuicError.HandshakeFailed,
            _ when e.IsApplicationError => QuicError.ConnectionAborted,
            _ when transport && (!handshakeCompleted || e.ErrorCode is >= 0x100 and <= 0x1ff) => QuicError.HandshakeFailed,
            _ => QuicError.TransportError,
        };
        var m = new StringBuilder();
        m.Append(error == QuicError.HandshakeFailed ? "The handshake failed: " : "The connection was closed: ");
        m.Append(e.CloseSource switch
        {
            ConnectionCloseSource.Peer => "the peer closed it",
            ConnectionCloseSource.Local => "this side closed it",
            ConnectionCloseSource.LocalTransportError => "this side closed it on an error",
            ConnectionCloseSource.IdleTimeout => "the idle timeout expired",
            ConnectionCloseSource.StatelessReset => "the peer sent a stateless reset",
            ConnectionCloseSource.VersionNegotiation => "the server supports no version this client offers",
            _ => e.CloseSource.ToString(),
        });
        if (e.CloseSource is ConnectionCloseSource.Peer or ConnectionCloseSource.Local or ConnectionCloseSource.LocalTransportError)
        {
            if (e.IsApplicationError) m.Append($" with application error 0x{e.ErrorCode:x}");
            else if (e.ErrorCode is >= 0x100 and <= 0x1ff)
            {
                var alert = (TlsAlert)(byte)(e.ErrorCode - 0x100);
                m.Append(e.CloseSource == ConnectionCloseSource.Peer ? " with TLS alert " : ", sending TLS alert ");
                m.Append($"{AlertName(alert)} ({(byte)alert}), CRYPTO_ERROR 0x{e.ErrorCode:x}");
            }
            else m.Append($" with transport error {TransportErrorName(e.ErrorCode)} (0x{e.ErrorCode:x})");
        }
        if (e.Reason is { Length: > 0 } r && e.CloseSource is not ConnectionCloseSource.IdleTimeout and not ConnectionCloseSource.StatelessReset)
            m.Append(": ").Append(r);
        m.Append('.');
        return new QuicException(error, e.IsApplicationError ? e.ErrorCode : null, e.IsApplicationError || !transport && e.ErrorCode == 0 ? null : e.ErrorCode, e.CloseSource, m.ToString())
        {
            Reason = e.Reason,
        };
    }

    /// <summary>The RFC 8446 name of an alert (bad_certificate), or its number when unknown.</summary>
    internal static string AlertName(TlsAlert alert) =>
        Enum.IsDefined(alert) ? SnakeCase(alert.ToString()) : $"alert_{(byte)alert}";

    private static string TransportErrorName(ulong code) =>
        Enum.IsDefined(typeof(TransportErrorCode), code) ? SnakeCase(((TransportErrorCode)code).ToString()).ToUpperInvariant() : "unknown";

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
