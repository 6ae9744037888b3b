using Transport.Interop.Endpoint;

namespace Transport.Interop.Tests.Ours;

/// <summary>
/// <see cref="InteropWarmUp.WaitForJitQuietAsync"/>: the server listens only once the background JIT has compiled nothing
/// for the quiet period, or the limit passed. Driven by a scripted method count and a delay that only counts (no sleeps).
/// </summary>
public sealed class WarmUpJitQuietTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    /// <summary>A compiled-method count that follows <paramref name="counts"/> (one value per read), then stays at the last.</summary>
    private static Func<long> Script(params long[] counts)
    {
        int i = 0;
        return () => counts[Math.Min(i++, counts.Length - 1)];
    }

    private static readonly Func<TimeSpan, CancellationToken, Task> NoWait = static (_, ct) =>
        ct.IsCancellationRequested ? Task.FromCanceled(ct) : Task.CompletedTask;

    [Fact]
    public async Task Waits_until_the_count_has_not_moved_for_the_quiet_period()
    {
        // First read 100; then 3 reads that grow (the tier-1 burst), then constant.
        var (waited, methods, settled) = await InteropWarmUp.WaitForJitQuietAsync(Script(100, 140, 190, 200), Poll, Quiet,
            TimeSpan.FromSeconds(10), NoWait, CancellationToken.None);
        Assert.True(settled);
        Assert.Equal(100, methods);
        // 3 polls of growth, then 5 quiet polls (250 ms / 50 ms).
        Assert.Equal(Poll * 8, waited);
    }

    [Fact]
    public async Task Growth_inside_the_quiet_period_restarts_it()
    {
        var (waited, methods, settled) = await InteropWarmUp.WaitForJitQuietAsync(Script(0, 0, 0, 0, 5, 5, 5, 5, 5, 5), Poll, Quiet,
            TimeSpan.FromSeconds(10), NoWait, CancellationToken.None);
        Assert.True(settled);
        Assert.Equal(5, methods);
        Assert.Equal(Poll * 9, waited); // 3 quiet, 1 growth, 5 quiet
    }

    [Fact]
    public async Task A_JIT_that_never_settles_gives_up_at_the_limit()
    {
        long n = 0;
        var (waited, methods, settled) = await InteropWarmUp.WaitForJitQuietAsync(() => n++, Poll, Quiet,
            TimeSpan.FromSeconds(1), NoWait, CancellationToken.None);
        Assert.False(settled);
        Assert.Equal(TimeSpan.FromSeconds(1), waited);
        Assert.Equal(20, methods);
    }

    [Fact]
    public async Task A_limit_already_passed_does_not_wait()
    {
        var (waited, _, settled) = await InteropWarmUp.WaitForJitQuietAsync(Script(1), Poll, Quiet,
            TimeSpan.FromSeconds(-2), NoWait, CancellationToken.None);
        Assert.False(settled);
        Assert.Equal(TimeSpan.Zero, waited);
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        using var cts = new CancellationTokenSource();
        int reads = 0;
        var (_, _, settled) = await InteropWarmUp.WaitForJitQuietAsync(() =>
        {
            if (++reads == 3) cts.Cancel();
            return reads;
        }, Poll, Quiet, TimeSpan.FromSeconds(10), NoWait, cts.Token);
        Assert.False(settled);
        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task A_non_positive_poll_interval_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => InteropWarmUp.WaitForJitQuietAsync(Script(0), TimeSpan.Zero, Quiet,
            TimeSpan.FromSeconds(1), NoWait, CancellationToken.None));
    }
}
