namespace Transport.Quic.Frames;

/// <summary>RETIRE_CONNECTION_ID (RFC 9000 §19.16).</summary>
/// <param name="SequenceNumber">The sequence number of the connection ID being retired.</param>
public readonly record struct RetireConnectionIdFrame(ulong SequenceNumber);
