namespace Transport.Quic.Frames;

/// <summary>RESET_STREAM (RFC 9000 §19.4): the sender abandons the sending part of a stream.</summary>
/// <param name="StreamId">The stream being reset.</param>
/// <param name="ApplicationProtocolErrorCode">Why the stream is being reset.</param>
/// <param name="FinalSize">The final size of the stream, in bytes.</param>
public readonly record struct ResetStreamFrame(ulong StreamId, ulong ApplicationProtocolErrorCode, ulong FinalSize);
