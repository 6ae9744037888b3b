namespace Transport.Tests.Shared;

/// <summary>
/// Measures steady-state allocation of a hot path robustly. <see cref="GC.GetAllocatedBytesForCurrentThread"/> also
/// counts one-off allocations the runtime makes on the thread (tiered JIT / OSR / dynamic PGO transitions, lazy type
/// initialization), which under load can land inside a single measured window. A steady per-round allocation shows in
/// every window; a one-off shows in only some; so the minimum over several windows is the steady-state figure.
/// </summary>
internal static class AllocationMeter
{
    /// <summary>
    /// Runs <paramref name="round"/> <paramref name="warmupRounds"/> times, then measures up to
    /// <paramref name="attempts"/> windows of <paramref name="measuredRounds"/> rounds each and returns the fewest bytes
    /// allocated on this thread in any window. Stops early once a window allocated nothing (nothing can be lower).
    /// Any allocation of even one object per round (at least 24 bytes) makes every window, so the result, non-zero.
    /// </summary>
    public static long MinimumAllocatedPerAttempt(Action round, int warmupRounds = 1000, int measuredRounds = 200, int attempts = 5)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupRounds);
        ArgumentOutOfRangeException.ThrowIfLessThan(measuredRounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        for (int i = 0; i < warmupRounds; i++) round();
        long minimum = long.MaxValue;
        for (int attempt = 0; attempt < attempts && minimum > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < measuredRounds; i++) round();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated < minimum) minimum = allocated;
        }
        return minimum;
    }
}
