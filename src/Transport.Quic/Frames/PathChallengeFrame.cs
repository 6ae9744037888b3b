namespace Transport.Quic.Frames;

/// <summary>PATH_CHALLENGE (RFC 9000 §19.17).</summary>
/// <param name="Data">The 8 bytes of unpredictable data, read big-endian.</param>
public readonly record struct PathChallengeFrame(ulong Data);
