using Transport.Tests.Shared;

namespace Transport.Core.Tests;

// The shared helper the zero-allocation tests rely on: it must still see a real per-round allocation.
public class AllocationMeterTests
{
    private static object? sink;

    [Fact]
    public void A_round_that_allocates_a_small_object_reports_bytes_in_every_window()
    {
        int rounds = 0;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => { sink = new object(); rounds++; },
            warmupRounds: 10, measuredRounds: 200, attempts: 5);
        // One object per round is at least 24 bytes on 64-bit (16 on 32-bit): every window sees all of them.
        Assert.True(allocated >= 200 * 16, $"{allocated} bytes");
        Assert.Equal(10 + 5 * 200, rounds); // no window measured 0, so all five were measured
        Assert.NotNull(sink);
    }

    [Fact]
    public void A_round_that_allocates_a_tiny_array_reports_more_than_zero()
    {
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => sink = new byte[1], warmupRounds: 10, measuredRounds: 1);
        Assert.True(allocated > 0, $"{allocated} bytes");
    }

    [Fact]
    public void A_one_off_allocation_in_one_window_does_not_count()
    {
        int rounds = 0;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() =>
        {
            // A one-off allocation inside the first measured window only, as a runtime transition might make.
            if (++rounds == 1005) sink = new byte[2000];
        }, warmupRounds: 1000, measuredRounds: 10, attempts: 5);
        Assert.Equal(0, allocated);
        Assert.True(rounds >= 1020, $"{rounds} rounds"); // the first window allocated, so a later one was measured
    }

    [Fact]
    public void A_round_that_allocates_nothing_reports_zero()
    {
        int[] counter = new int[1];
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => counter[0]++, warmupRounds: 1000, measuredRounds: 100);
        Assert.Equal(0, allocated);
        Assert.True(counter[0] >= 1100);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentNullException>(() => AllocationMeter.MinimumAllocatedPerAttempt(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => AllocationMeter.MinimumAllocatedPerAttempt(() => { }, measuredRounds: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AllocationMeter.MinimumAllocatedPerAttempt(() => { }, attempts: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AllocationMeter.MinimumAllocatedPerAttempt(() => { }, warmupRounds: -1));
    }
}
