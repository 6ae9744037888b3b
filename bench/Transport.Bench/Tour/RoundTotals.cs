namespace Transport.Bench.Tour;

/// <summary>
/// What one contender's measurement accumulated over all rounds (the measured part only): operations, bytes, wall
/// time, process CPU time and latency samples. The table's figures are computed from these pooled totals.
/// </summary>
internal sealed class RoundTotals
{
    public long Operations { get; set; }
    public long Bytes { get; set; }
    public TimeSpan Elapsed { get; set; }
    public TimeSpan Cpu { get; set; }
    public LatencyRecorder Latencies { get; } = new(4_000_000);

    /// <summary>Rounds that completed.</summary>
    public int Rounds { get; set; }
}
