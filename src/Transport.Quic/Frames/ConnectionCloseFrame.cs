namespace Transport.Quic.Frames;

/// <summary>CONNECTION_CLOSE (RFC 9000 §19.19): type 0x1c for transport errors, 0x1d for application errors.</summary>
public readonly ref struct ConnectionCloseFrame
{
    /// <summary>Describes a CONNECTION_CLOSE frame.</summary>
    /// <param name="isApplicationError">True for type 0x1d.</param>
    /// <param name="errorCode">A <see cref="TransportErrorCode"/> value (0x1c) or an application error code (0x1d).</param>
    /// <param name="triggeringFrameType">The type of the frame that caused the error, 0 when unknown (0x1c only).</param>
    /// <param name="reasonPhrase">UTF-8 reason, possibly empty.</param>
    public ConnectionCloseFrame(bool isApplicationError, ulong errorCode, ulong triggeringFrameType, ReadOnlySpan<byte> reasonPhrase)
    {
        IsApplicationError = isApplicationError;
        ErrorCode = errorCode;
        TriggeringFrameType = isApplicationError ? 0 : triggeringFrameType;
        ReasonPhrase = reasonPhrase;
    }

    /// <summary>True for type 0x1d (application error); false for 0x1c (transport error).</summary>
    public bool IsApplicationError { get; }

    /// <summary>The error code: a <see cref="TransportErrorCode"/> value for 0x1c, an application code for 0x1d.</summary>
    public ulong ErrorCode { get; }

    /// <summary>The type of the frame that triggered the error (0x1c only; 0 when unknown or for 0x1d).</summary>
    public ulong TriggeringFrameType { get; }

    /// <summary>The reason phrase bytes (UTF-8 by convention; not validated, RFC 9000 §19.19).</summary>
    public ReadOnlySpan<byte> ReasonPhrase { get; }
}
