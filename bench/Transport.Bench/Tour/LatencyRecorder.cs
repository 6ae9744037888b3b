using System.Diagnostics;

namespace Transport.Bench.Tour;

/// <summary>Collects Stopwatch-tick samples (up to a cap) and gives exact percentiles of them.</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private long[] _samples = new long[Math.Min(capacity, 1 << 16)];

    public int Count { get; private set; }

    /// <summary>Samples seen beyond the capacity (counted in rates, left out of percentiles).</summary>
    public long Dropped { get; private set; }

    public void Record(long ticks)
    {
        if (Count == _samples.Length)
        {
            if (_samples.Length >= capacity) { Dropped++; return; }
            Array.Resize(ref _samples, Math.Min(capacity, _samples.Length * 2));
        }
        _samples[Count++] = ticks;
    }

    /// <summary>The <paramref name="quantile"/> (0..1) in microseconds, nearest-rank; NaN without samples.</summary>
    public double PercentileMicroseconds(double quantile)
    {
        if (Count == 0) return double.NaN;
        Array.Sort(_samples, 0, Count);
        int rank = (int)Math.Ceiling(quantile * Count) - 1;
        return _samples[Math.Clamp(rank, 0, Count - 1)] * 1e6 / Stopwatch.Frequency;
    }
}
