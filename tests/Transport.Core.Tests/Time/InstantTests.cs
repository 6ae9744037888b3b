using Transport.Core.Time;

namespace Transport.Core.Tests.Time;

public class InstantTests
{
    [Fact]
    public void Arithmetic()
    {
        Instant a = Instant.FromMilliseconds(100);
        Instant b = a + TimeSpan.FromMicroseconds(250);
        Assert.Equal(TimeSpan.FromMicroseconds(250), b - a);
        Assert.Equal(100_250, b.TotalMicroseconds);
        Assert.True(b > a);
        Assert.Equal(a, b - TimeSpan.FromMicroseconds(250));
        Assert.Equal(b, Instant.Max(a, b));
        Assert.Equal(a, Instant.Min(a, b));
    }

    [Fact]
    public void Saturates_InsteadOfOverflowing()
    {
        Assert.Equal(Instant.MaxValue, Instant.MaxValue + TimeSpan.FromSeconds(1));
        Assert.Equal(Instant.Zero, Instant.FromMilliseconds(1) - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Negative_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Instant.FromTicks(-1));
    }

    [Fact]
    public void VirtualClock_OnlyMovesForward()
    {
        var clock = new VirtualClock();
        Assert.Equal(Instant.Zero, clock.Now);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(Instant.FromMilliseconds(5), clock.Now);
        clock.AdvanceTo(Instant.FromMilliseconds(2));
        Assert.Equal(Instant.FromMilliseconds(5), clock.Now);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public void SystemClock_IsMonotonic_AndMicrosecondResolution()
    {
        Instant previous = SystemClock.Instance.Now;
        bool sawChangeBelowAMillisecond = false;
        for (int i = 0; i < 100_000; i++)
        {
            Instant now = SystemClock.Instance.Now;
            Assert.True(now >= previous);
            TimeSpan step = now - previous;
            if (step > TimeSpan.Zero && step < TimeSpan.FromMilliseconds(1)) sawChangeBelowAMillisecond = true;
            previous = now;
        }
        Assert.True(sawChangeBelowAMillisecond);
    }

    [Fact]
    public void ToString_IsSecondsWithMicroseconds()
    {
        Assert.Equal("1.500250s", (Instant.FromMilliseconds(1500) + TimeSpan.FromMicroseconds(250)).ToString());
        Assert.Equal("never", Instant.MaxValue.ToString());
    }
}
