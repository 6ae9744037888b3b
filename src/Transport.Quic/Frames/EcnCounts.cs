namespace Transport.Quic.Frames;

/// <summary>The ECN counts of an ACK frame of type 0x03 (RFC 9000 §19.3.2).</summary>
/// <param name="Ect0">Packets received with the ECT(0) codepoint.</param>
/// <param name="Ect1">Packets received with the ECT(1) codepoint.</param>
/// <param name="Ce">Packets received with the ECN-CE codepoint.</param>
public readonly record struct EcnCounts(ulong Ect0, ulong Ect1, ulong Ce);
