using Transport.Core.Time;

namespace Transport.Quic.Tests.Connection;

public class IdleTimerTests
{
    [Fact]
    public void An_idle_connection_arms_no_timer_before_its_idle_deadline()
    {
        // An idle connection must not ask its driver to wake again and again: with thousands of connections on one
        // endpoint, a stale deadline in the past makes the driver spin.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromSeconds(2));
        foreach (var c in new[] { pair.Client, pair.Server })
        {
            Instant? next = c.NextTimeout();
            Assert.True(next is { } t && t - pair.Now > TimeSpan.FromSeconds(20),
                $"{(c.IsServer ? "server" : "client")} next timeout {(next is { } n ? (n - pair.Now).TotalMilliseconds + " ms from now" : "none")}; {c.DescribeTimersForTesting()}");
        }
    }
}
