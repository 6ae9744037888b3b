namespace Transport.Quic.Frames;

/// <summary>STREAM_DATA_BLOCKED (RFC 9000 §19.13): the sender is blocked by stream-level flow control.</summary>
/// <param name="StreamId">The blocked stream.</param>
/// <param name="MaximumStreamData">The stream's limit at which blocking occurred.</param>
public readonly record struct StreamDataBlockedFrame(ulong StreamId, ulong MaximumStreamData);
