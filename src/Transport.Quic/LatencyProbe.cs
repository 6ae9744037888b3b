using System.Diagnostics;

namespace Transport.Quic;

/// <summary>
/// Timestamps along one request/response round trip through the API (write, send, receive, decrypt, wake-up, read),
/// for <c>bench quicphases rtt</c>. Compiled in only when Transport.Quic is built with <c>-p:QuicLatencyProbe=true</c>
/// (the calls are <see cref="ConditionalAttribute"/>: a normal build has no trace of them on the hot path).
/// </summary>
internal static class LatencyProbe
{
    /// <summary>The points of one side (client 0, server 1): index = side * <see cref="PointCount"/> + point.</summary>
    public const int PointCount = 9;

    /// <summary>Names of the points, in the order of a one-way trip.</summary>
    public static readonly string[] PointNames =
    [
        "write entered", "send syscall returned", "datagram received", "datagram processed",
        "events dispatched", "receive-thread flush done", "reader resumed", "read returned", "datagrams collected",
    ];

    /// <summary>Point indexes.</summary>
    public const int WriteEntered = 0, Sent = 1, Received = 2, Processed = 3, Dispatched = 4, ReceiveFlushed = 5, ReaderResumed = 6, ReadReturned = 7, Collected = 8;

    /// <summary>The latest <see cref="Stopwatch.GetTimestamp"/> of each point (overwritten every round trip).</summary>
    public static readonly long[] Marks = new long[2 * PointCount];

    /// <summary>True when the probe calls were compiled in.</summary>
    public static bool IsCompiledIn
    {
        get
        {
            bool on = false;
            SetCompiledIn(ref on);
            return on;
        }
    }

    [Conditional("QUIC_LATENCY_PROBE")]
    private static void SetCompiledIn(ref bool on) => on = true;

    /// <summary>
    /// Records <paramref name="point"/> of <paramref name="server"/>'s side now, unless it was marked since the bench last
    /// cleared <see cref="Marks"/> (so the first datagram of a batch, the first send of a round trip count).
    /// </summary>
    [Conditional("QUIC_LATENCY_PROBE")]
    public static void Mark(bool server, int point)
    {
        ref long slot = ref Marks[(server ? PointCount : 0) + point];
        if (Volatile.Read(ref slot) == 0) Volatile.Write(ref slot, Stopwatch.GetTimestamp());
    }
}
