namespace Transport.Quic.Frames;

/// <summary>MAX_DATA (RFC 9000 §19.9): the connection-level flow-control limit.</summary>
/// <param name="MaximumData">The most data, in bytes, the peer may send on the whole connection.</param>
public readonly record struct MaxDataFrame(ulong MaximumData);
