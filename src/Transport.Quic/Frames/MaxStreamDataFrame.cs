namespace Transport.Quic.Frames;

/// <summary>MAX_STREAM_DATA (RFC 9000 §19.10): a stream-level flow-control limit.</summary>
/// <param name="StreamId">The stream concerned.</param>
/// <param name="MaximumStreamData">The most data, in bytes, the peer may send on that stream.</param>
public readonly record struct MaxStreamDataFrame(ulong StreamId, ulong MaximumStreamData);
