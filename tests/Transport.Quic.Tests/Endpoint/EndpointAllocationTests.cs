using System.Net;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Endpoint;
using Transport.Tests.Shared;

namespace Transport.Quic.Tests.Endpoint;

// The per-datagram paths of the endpoint's stateless answers allocate nothing once warm.
public class EndpointAllocationTests
{
    private static long Measure(Action action) => AllocationMeter.MinimumAllocatedPerAttempt(action, warmupRounds: 1000, measuredRounds: 200);

    [Fact]
    public void Stateless_reset_build_and_detection()
    {
        var gen = new StatelessResetTokenGenerator();
        var responder = new StatelessResetResponder(gen, 8, new StatelessResetRateLimiter(1e9, 1_000_000_000, 1e9, 1_000_000_000));
        SocketAddress remote = new IPEndPoint(IPAddress.Loopback, 9).Serialize();
        byte[] trigger = new byte[100];
        trigger[0] = 0x40;
        byte[] reset = new byte[100];
        var tokens = new[] { gen.GetToken(new ConnectionId(trigger.AsSpan(1, 8))) };
        bool ok = true;
        long allocated = Measure(() =>
        {
            ok &= responder.TryWrite(Instant.Zero, trigger, remote, reset, out int n) == StatelessResetOutcome.Send;
            ok &= StatelessResetToken.MatchesAny(reset.AsSpan(0, n), tokens);
        });
        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Version_negotiation()
    {
        var responder = new VersionNegotiationResponder(new uint[] { 1 });
        byte[] probe = new byte[1207];
        Convert.FromHexString("c05741495400").CopyTo(probe, 0);
        byte[] reply = new byte[100];
        bool ok = true;
        long allocated = Measure(() => ok &= responder.TryWrite(probe, reply, out _) == VersionNegotiationOutcome.Send);
        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Token_issue_and_validation()
    {
        using var protector = new AddressValidationTokenProtector();
        SocketAddress remote = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9).Serialize();
        byte[] token = new byte[AddressValidationTokenProtector.RetryTokenLength];
        byte[] cid = new byte[8];
        bool ok = true;
        long allocated = Measure(() =>
        {
            ok &= protector.TryWriteRetryToken(token, Instant.Zero, remote, cid, cid, out _);
            ok &= protector.Validate(token, Instant.Zero, remote).IsValid;
            token[50] ^= 1;
            ok &= protector.Validate(token, Instant.Zero, remote).Status == AddressValidationTokenStatus.Forged;
        });
        Assert.True(ok);
        Assert.Equal(0, allocated);
    }
}
