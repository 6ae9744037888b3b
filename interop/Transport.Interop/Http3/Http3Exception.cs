namespace Transport.Interop.Http3;

/// <summary>
/// A protocol error found in the peer's HTTP/3 or QPACK input, carrying the RFC 9114 / RFC 9204 error code that the
/// connection (or, for <see cref="Http3ErrorCode.IsStreamError"/> codes, the stream) is closed with.
/// </summary>
public sealed class Http3Exception : Exception
{
    /// <summary>Creates the exception.</summary>
    public Http3Exception(long errorCode, string message) : base(message) => ErrorCode = errorCode;

    /// <summary>The application error code (see <see cref="Http3ErrorCode"/>).</summary>
    public long ErrorCode { get; }

    internal static Http3Exception Qpack(string message) => new(Http3ErrorCode.QpackDecompressionFailed, message);
}
