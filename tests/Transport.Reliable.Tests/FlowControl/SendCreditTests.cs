using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.FlowControl;

namespace Transport.Reliable.Tests.FlowControl;

public class SendCreditTests
{
    [Fact]
    public void Credit_is_used_and_raised_only_upwards()
    {
        var c = new SendCredit(100);
        c.OnSent(60);
        Assert.Equal(40, c.Available);
        Assert.False(c.OnMaxDataReceived(90)); // RFC 9000 §4.1: a lower limit is ignored
        Assert.Equal(100, c.MaxData);
        Assert.True(c.OnMaxDataReceived(150));
        Assert.Equal(90, c.Available);
        var e = Assert.Throws<InvalidOperationException>(() => c.OnSent(91));
        Assert.Contains("limit", e.Message);
        Assert.Equal(60, c.Sent);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.OnSent(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendCredit(-1));
    }

    [Fact]
    public void Blocked_is_reported_once_per_limit()
    {
        var c = new SendCredit(100);
        Assert.False(c.TryGetBlocked(out _)); // credit left
        c.OnSent(100);
        Assert.True(c.TryGetBlocked(out long limit));
        Assert.Equal(100, limit);
        Assert.False(c.TryGetBlocked(out _));
        c.OnBlockedLost(100); // the DATA_BLOCKED frame was lost: report again
        Assert.True(c.TryGetBlocked(out _));
        c.OnMaxDataReceived(200);
        Assert.False(c.TryGetBlocked(out _));
        c.OnBlockedLost(100); // stale: the limit moved on
        c.OnSent(100);
        Assert.True(c.TryGetBlocked(out limit));
        Assert.Equal(200, limit);
        Assert.False(c.TryGetBlocked(out _));
    }

    [Fact]
    public void Sender_never_exceeds_the_credit_and_reports_each_limit_once()
    {
        Gen<(bool Raise, int Amount)> op =
            from raise in Gen.Elements(true, false)
            from amount in Gen.Choose(0, 300)
            select (raise, amount);
        Prop.ForAll(Gen.ArrayOf(op).ToArbitrary(), ops =>
        {
            var c = new SendCredit(100);
            long maxSeen = 100;
            var reported = new HashSet<long>();
            foreach (var (raise, amount) in ops)
            {
                if (raise)
                {
                    long value = c.MaxData - 150 + amount; // sometimes lower, sometimes higher
                    c.OnMaxDataReceived(Math.Max(0, value));
                    maxSeen = Math.Max(maxSeen, value);
                }
                else if (amount <= c.Available)
                {
                    c.OnSent(amount);
                }
                else
                {
                    long sent = c.Sent;
                    Assert.Throws<InvalidOperationException>(() => c.OnSent(amount));
                    Assert.Equal(sent, c.Sent);
                    if (c.TryGetBlocked(out long limit))
                    {
                        Assert.True(c.IsBlocked);
                        Assert.True(reported.Add(limit), $"limit {limit} reported twice");
                    }
                }
                Assert.True(c.Sent <= c.MaxData);
                Assert.Equal(maxSeen, c.MaxData);
            }
        }).QuickCheckThrowOnFailure();
    }
}
