namespace Transport.Quic.Frames;

/// <summary>STOP_SENDING (RFC 9000 §19.5): the receiver asks the peer to stop sending on a stream.</summary>
/// <param name="StreamId">The stream being ignored.</param>
/// <param name="ApplicationProtocolErrorCode">Why the receiver is ignoring the stream.</param>
public readonly record struct StopSendingFrame(ulong StreamId, ulong ApplicationProtocolErrorCode);
