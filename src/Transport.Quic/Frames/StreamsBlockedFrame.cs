namespace Transport.Quic.Frames;

/// <summary>STREAMS_BLOCKED (RFC 9000 §19.14; type 0x16 bidirectional, 0x17 unidirectional).</summary>
/// <param name="Bidirectional">True for bidirectional streams (type 0x16).</param>
/// <param name="MaximumStreams">The stream limit at the time the frame was sent; at most 2^60.</param>
public readonly record struct StreamsBlockedFrame(bool Bidirectional, ulong MaximumStreams);
