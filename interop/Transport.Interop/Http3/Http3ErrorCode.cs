namespace Transport.Interop.Http3;

/// <summary>HTTP/3 (RFC 9114 §8.1) and QPACK (RFC 9204 §6) application error codes.</summary>
public static class Http3ErrorCode
{
    /// <summary>No error; used when closing the connection or a stream without a problem.</summary>
    public const long NoError = 0x100;
    /// <summary>Peer violated the protocol in a way not covered by a more specific code.</summary>
    public const long GeneralProtocolError = 0x101;
    /// <summary>An internal error in this endpoint.</summary>
    public const long InternalError = 0x102;
    /// <summary>The peer created a stream that will not be accepted.</summary>
    public const long StreamCreationError = 0x103;
    /// <summary>A stream required by the connection was closed or reset.</summary>
    public const long ClosedCriticalStream = 0x104;
    /// <summary>A frame was not permitted in the current state or on the current stream.</summary>
    public const long FrameUnexpected = 0x105;
    /// <summary>A frame fails to satisfy layout requirements or has an invalid size.</summary>
    public const long FrameError = 0x106;
    /// <summary>The peer generates excessive load.</summary>
    public const long ExcessiveLoad = 0x107;
    /// <summary>A stream ID or push ID was used incorrectly.</summary>
    public const long IdError = 0x108;
    /// <summary>An error in the payload of a SETTINGS frame.</summary>
    public const long SettingsError = 0x109;
    /// <summary>No SETTINGS frame at the start of the control stream.</summary>
    public const long MissingSettings = 0x10a;
    /// <summary>A server rejected a request without any application processing.</summary>
    public const long RequestRejected = 0x10b;
    /// <summary>The request or its response is cancelled.</summary>
    public const long RequestCancelled = 0x10c;
    /// <summary>The client's stream terminated without a fully formed request.</summary>
    public const long RequestIncomplete = 0x10d;
    /// <summary>An HTTP message was malformed and cannot be processed.</summary>
    public const long MessageError = 0x10e;
    /// <summary>The TCP connection established in response to a CONNECT request was reset or abnormally closed.</summary>
    public const long ConnectError = 0x10f;
    /// <summary>The requested operation cannot be served over HTTP/3.</summary>
    public const long VersionFallback = 0x110;

    /// <summary>QPACK: the decoder failed to interpret an encoded field section (RFC 9204 §6).</summary>
    public const long QpackDecompressionFailed = 0x200;
    /// <summary>QPACK: the decoder failed to interpret an encoder instruction (RFC 9204 §6).</summary>
    public const long QpackEncoderStreamError = 0x201;
    /// <summary>QPACK: the encoder failed to interpret a decoder instruction (RFC 9204 §6).</summary>
    public const long QpackDecoderStreamError = 0x202;

    /// <summary>True for codes that RFC 9114 treats as stream errors rather than connection errors.</summary>
    public static bool IsStreamError(long code) =>
        code is MessageError or RequestIncomplete or RequestRejected or RequestCancelled;
}
