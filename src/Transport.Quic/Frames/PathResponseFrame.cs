namespace Transport.Quic.Frames;

/// <summary>PATH_RESPONSE (RFC 9000 §19.18): echoes the data of a PATH_CHALLENGE.</summary>
/// <param name="Data">The 8 bytes of the challenge being answered, read big-endian.</param>
public readonly record struct PathResponseFrame(ulong Data);
