namespace Transport.Reliable.Congestion;

/// <summary>Window constants and formulas shared by the window-based controllers (RFC 9002 §7.2, §7.7).</summary>
internal static class WindowLimits
{
    /// <summary>The initial window: min(10 · mds, max(14720, 2 · mds)) (RFC 9002 §7.2).</summary>
    public static long InitialWindow(int maxDatagramSize) =>
        Math.Min(10L * maxDatagramSize, Math.Max(14720L, 2L * maxDatagramSize));

    /// <summary>The minimum window: 2 · mds (RFC 9002 §7.2, kMinimumWindow).</summary>
    public static long MinimumWindow(int maxDatagramSize) => 2L * maxDatagramSize;

    /// <summary>Pacing rate of a window-based controller: 1.25 · cwnd / smoothed RTT (RFC 9002 §7.7); 0 before an RTT sample.</summary>
    public static double PacingRate(long congestionWindow, TimeSpan smoothedRtt) =>
        smoothedRtt > TimeSpan.Zero ? 1.25 * congestionWindow / smoothedRtt.TotalSeconds : 0;

    /// <summary>Throws when a maximum datagram size is not a possible UDP payload size (1..65527 bytes).</summary>
    public static void Validate(int maxDatagramSize)
    {
        if (maxDatagramSize < 1 || maxDatagramSize > 65527)
            throw new ArgumentOutOfRangeException(nameof(maxDatagramSize), maxDatagramSize,
                "The maximum datagram size must be between 1 and 65527 bytes.");
    }
}
