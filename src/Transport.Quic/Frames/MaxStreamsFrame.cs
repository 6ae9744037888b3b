namespace Transport.Quic.Frames;

/// <summary>MAX_STREAMS (RFC 9000 §19.11; type 0x12 bidirectional, 0x13 unidirectional).</summary>
/// <param name="Bidirectional">True for the bidirectional limit (type 0x12).</param>
/// <param name="MaximumStreams">The cumulative count of streams of that type the peer may open; at most 2^60.</param>
public readonly record struct MaxStreamsFrame(bool Bidirectional, ulong MaximumStreams);
