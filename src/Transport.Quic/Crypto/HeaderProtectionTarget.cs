namespace Transport.Quic.Crypto;

/// <summary>
/// One sealed packet that still needs header protection, inside a buffer of several datagrams
/// (<see cref="HeaderProtection.ApplyBatch"/>): where the packet starts (its first byte), where its Packet Number field
/// starts, and how long that field is. Offsets are from the start of the buffer.
/// </summary>
internal readonly record struct HeaderProtectionTarget(int PacketStart, int PacketNumberOffset, int PacketNumberLength);
