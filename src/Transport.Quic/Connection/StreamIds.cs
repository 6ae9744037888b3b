namespace Transport.Quic.Connection;

/// <summary>Stream ID arithmetic (RFC 9000 §2.1): bit 0 the initiator (1 = server), bit 1 the direction (1 = unidirectional).</summary>
internal static class StreamIds
{
    public const long MaxStreamId = (1L << 62) - 1;

    public static bool IsServerInitiated(long id) => (id & 1) != 0;

    public static bool IsUnidirectional(long id) => (id & 2) != 0;

    /// <summary>The stream's index among streams of its type: id / 4.</summary>
    public static long Index(long id) => id >> 2;

    /// <summary>The type bits (0 to 3) of a stream opened by the given side.</summary>
    public static int Type(bool serverInitiated, bool unidirectional) => (serverInitiated ? 1 : 0) | (unidirectional ? 2 : 0);

    public static long FromIndex(long index, int type) => (index << 2) | (long)type;
}
