namespace Transport.Quic;

/// <summary>QUIC transport error codes (RFC 9000 §20.1), carried in CONNECTION_CLOSE frames of type 0x1c.</summary>
public enum TransportErrorCode : ulong
{
    /// <summary>The connection is being closed abruptly without any error.</summary>
    NoError = 0x00,
    /// <summary>The endpoint hit an internal error and cannot continue.</summary>
    InternalError = 0x01,
    /// <summary>The server refused to accept a new connection.</summary>
    ConnectionRefused = 0x02,
    /// <summary>Data received beyond the advertised flow-control limits.</summary>
    FlowControlError = 0x03,
    /// <summary>A stream-opening frame exceeded the advertised stream limit.</summary>
    StreamLimitError = 0x04,
    /// <summary>A frame arrived for a stream in a state that does not permit it.</summary>
    StreamStateError = 0x05,
    /// <summary>A final size changed, or data arrived beyond it.</summary>
    FinalSizeError = 0x06,
    /// <summary>A frame was badly formatted.</summary>
    FrameEncodingError = 0x07,
    /// <summary>Transport parameters were malformed, invalid, missing or repeated.</summary>
    TransportParameterError = 0x08,
    /// <summary>Too many connection IDs were provided by the peer.</summary>
    ConnectionIdLimitError = 0x09,
    /// <summary>A protocol rule was broken that no more specific code covers.</summary>
    ProtocolViolation = 0x0a,
    /// <summary>A Retry or NEW_TOKEN token was invalid.</summary>
    InvalidToken = 0x0b,
    /// <summary>The application or application protocol caused the connection to close.</summary>
    ApplicationError = 0x0c,
    /// <summary>More CRYPTO data arrived than can be buffered.</summary>
    CryptoBufferExceeded = 0x0d,
    /// <summary>A key update broke the rules.</summary>
    KeyUpdateError = 0x0e,
    /// <summary>The AEAD confidentiality or integrity limit was reached.</summary>
    AeadLimitReached = 0x0f,
    /// <summary>No viable network path exists.</summary>
    NoViablePath = 0x10,
    /// <summary>Version negotiation was tampered with or the version_information was invalid (RFC 9368 §4, §10).</summary>
    VersionNegotiationError = 0x11,
    /// <summary>The base of the CRYPTO_ERROR range: 0x0100 plus the TLS alert description (RFC 9001 §4.8).</summary>
    CryptoErrorBase = 0x0100,
}
