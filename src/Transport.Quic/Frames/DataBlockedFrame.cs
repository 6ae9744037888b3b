namespace Transport.Quic.Frames;

/// <summary>DATA_BLOCKED (RFC 9000 §19.12): the sender is blocked by connection-level flow control.</summary>
/// <param name="MaximumData">The connection-level limit at which blocking occurred.</param>
public readonly record struct DataBlockedFrame(ulong MaximumData);
