namespace Transport.Core.Tests.Udp;

/// <summary>A fact that skips, saying why, when the IPv6 loopback address cannot be bound.</summary>
public sealed class IPv6LoopbackFactAttribute : FactAttribute
{
    public IPv6LoopbackFactAttribute()
    {
        if (!UdpTestSupport.IPv6LoopbackAvailable)
            Skip = "IPv6 loopback [::1] is unavailable here (no IPv6 or ::1 not configured on lo); enable IPv6 to run this test.";
    }
}
