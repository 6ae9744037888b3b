using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Quic.Endpoint;

namespace Transport.Quic.Tests.Endpoint;

public class HandshakeAdmissionTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.1");
    private static readonly Instant Now = Instant.FromMilliseconds(100_000);
    private static readonly AddressValidationTokenProtector Protector = new();

    private static AddressValidationTokenResult ValidRetryToken()
    {
        var t = new byte[AddressValidationTokenProtector.RetryTokenLength];
        Protector.TryWriteRetryToken(t, Now, Client, new byte[8], new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, out _);
        return Protector.Validate(t, Now, Client);
    }

    private static AddressValidationTokenResult ExpiredRetryToken()
    {
        var t = new byte[AddressValidationTokenProtector.RetryTokenLength];
        Protector.TryWriteRetryToken(t, Now, Client, new byte[8], new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, out _);
        return Protector.Validate(t, Now + TimeSpan.FromMinutes(1), Client);
    }

    private static AddressValidationTokenResult NewToken(IPAddress from)
    {
        var t = new byte[AddressValidationTokenProtector.NewTokenLength];
        Protector.TryWriteNewToken(t, Now, Client, out _);
        return Protector.Validate(t, Now, from);
    }

    private static HandshakeAdmission Start(HandshakeAdmissionOptions options, int handshakes, int pending = 0)
    {
        var a = new HandshakeAdmission(options);
        for (int i = 0; i < handshakes + pending; i++) a.OnHandshakeStarted();
        for (int i = 0; i < pending; i++) a.OnHandshakeCompleted();
        Assert.Equal(handshakes, a.HandshakesInFlight);
        Assert.Equal(pending, a.PendingAccepts);
        return a;
    }

    [Fact]
    public void Never_mode_accepts_until_the_limit_then_refuses()
    {
        var o = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never, MaxHandshakes = 10 };
        Assert.Equal(AdmissionDecision.Accept, Start(o, 9).Decide());
        Assert.Equal(AdmissionDecision.Refuse, Start(o, 10).Decide());
        Assert.Equal(AdmissionDecision.Refuse, Start(o, 10).Decide(ValidRetryToken()));
        var drop = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never, MaxHandshakes = 10, OverloadResponse = AdmissionDecision.Drop };
        Assert.Equal(AdmissionDecision.Drop, Start(drop, 10).Decide());
    }

    [Fact]
    public void Always_mode_retries_unvalidated_clients_and_accepts_validated_ones()
    {
        var o = new HandshakeAdmissionOptions { RetryMode = RetryMode.Always, MaxHandshakes = 10 };
        Assert.Equal(AdmissionDecision.SendRetry, Start(o, 0).Decide());
        Assert.Equal(AdmissionDecision.Accept, Start(o, 0).Decide(ValidRetryToken()));
        Assert.Equal(AdmissionDecision.Accept, Start(o, 9).Decide(NewToken(Client)));
        // A NEW_TOKEN token from another address counts as none: Retry (RFC 9000 §8.1.3).
        Assert.Equal(AdmissionDecision.SendRetry, Start(o, 0).Decide(NewToken(IPAddress.Parse("192.0.2.99"))));
        // Full: still Retry for unvalidated, Refuse once validated.
        Assert.Equal(AdmissionDecision.SendRetry, Start(o, 10).Decide());
        Assert.Equal(AdmissionDecision.Refuse, Start(o, 10).Decide(ValidRetryToken()));
    }

    [Fact]
    public void When_busy_mode_retries_from_the_threshold()
    {
        var o = new HandshakeAdmissionOptions { RetryMode = RetryMode.WhenBusy, RetryThreshold = 5, MaxHandshakes = 8 };
        Assert.Equal(AdmissionDecision.Accept, Start(o, 4).Decide());
        Assert.Equal(AdmissionDecision.SendRetry, Start(o, 5).Decide());
        Assert.Equal(AdmissionDecision.Accept, Start(o, 5).Decide(ValidRetryToken()));
        Assert.Equal(AdmissionDecision.Accept, Start(o, 7).Decide(ValidRetryToken()));
        Assert.Equal(AdmissionDecision.Refuse, Start(o, 8).Decide(ValidRetryToken()));
        Assert.Equal(AdmissionDecision.SendRetry, Start(o, 8).Decide());
        var zero = new HandshakeAdmissionOptions { RetryMode = RetryMode.WhenBusy, RetryThreshold = 0 };
        Assert.Equal(AdmissionDecision.SendRetry, Start(zero, 0).Decide());
    }

    [Fact]
    public void Accept_backlog_full_is_overload()
    {
        var o = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never, MaxHandshakes = 100, AcceptBacklog = 3 };
        Assert.Equal(AdmissionDecision.Accept, Start(o, 0, pending: 2).Decide());
        var a = Start(o, 0, pending: 3);
        Assert.True(a.IsFull);
        Assert.Equal(AdmissionDecision.Refuse, a.Decide());
        a.OnAccepted();
        Assert.False(a.IsFull);
        Assert.Equal(AdmissionDecision.Accept, a.Decide());
        a.OnHandshakeStarted();
        a.OnHandshakeCompleted();
        Assert.Equal(AdmissionDecision.Refuse, a.Decide());
        a.OnUnacceptedConnectionClosed();
        Assert.Equal(AdmissionDecision.Accept, a.Decide());
    }

    [Fact]
    public void Invalid_retry_tokens_close_with_invalid_token_but_forged_ones_count_as_none()
    {
        var o = new HandshakeAdmissionOptions { RetryMode = RetryMode.Never };
        var expired = ExpiredRetryToken();
        Assert.Equal(AddressValidationTokenStatus.Expired, expired.Status);
        Assert.Equal(AdmissionDecision.CloseInvalidToken, Start(o, 0).Decide(expired));
        var t = new byte[AddressValidationTokenProtector.RetryTokenLength];
        Protector.TryWriteRetryToken(t, Now, Client, new byte[8], new byte[8], out _);
        var wrongAddress = Protector.Validate(t, Now, IPAddress.Parse("192.0.2.2"));
        Assert.Equal(AdmissionDecision.CloseInvalidToken, Start(o, 0).Decide(wrongAddress));
        t[40] ^= 1;
        var forged = Protector.Validate(t, Now, Client);
        Assert.Equal(AddressValidationTokenStatus.Forged, forged.Status);
        Assert.Equal(AdmissionDecision.Accept, Start(o, 0).Decide(forged));
        Assert.Equal(AdmissionDecision.SendRetry, Start(new HandshakeAdmissionOptions { RetryMode = RetryMode.Always }, 0).Decide(forged));
    }

    [Fact]
    public void Property_invariants_of_the_decision()
    {
        var tokens = new[] { default, ValidRetryToken(), NewToken(Client), NewToken(IPAddress.Parse("192.0.2.50")), ExpiredRetryToken() };
        TestGen.Check(
            from mode in Gen.Elements(RetryMode.Never, RetryMode.Always, RetryMode.WhenBusy)
            from threshold in Gen.Choose(0, 12)
            from max in Gen.Choose(1, 12)
            from backlog in Gen.Choose(1, 6)
            from handshakes in Gen.Choose(0, 14)
            from pending in Gen.Choose(0, 8)
            from tokenIndex in Gen.Choose(0, tokens.Length - 1)
            from drop in Gen.Elements(true, false)
            select (mode, threshold, max, backlog, handshakes, pending, tokenIndex, drop),
            c =>
            {
                var o = new HandshakeAdmissionOptions
                {
                    RetryMode = c.mode, RetryThreshold = c.threshold, MaxHandshakes = c.max, AcceptBacklog = c.backlog,
                    OverloadResponse = c.drop ? AdmissionDecision.Drop : AdmissionDecision.Refuse,
                };
                var a = Start(o, c.handshakes, c.pending);
                var token = tokens[c.tokenIndex];
                var d = a.Decide(token);
                bool full = c.handshakes >= c.max || c.pending >= c.backlog;
                if (d == AdmissionDecision.CloseInvalidToken) return token.Kind == AddressValidationTokenKind.Retry && !token.IsValid;
                if (token.Kind == AddressValidationTokenKind.Retry && !token.IsValid) return false;
                if (d == AdmissionDecision.Accept) return !full && (token.IsValid || c.mode == RetryMode.Never || (c.mode == RetryMode.WhenBusy && c.handshakes < c.threshold));
                if (d == AdmissionDecision.SendRetry) return !token.IsValid && c.mode != RetryMode.Never;
                // Refuse or Drop: only when full, and only the configured one.
                return full && d == o.OverloadResponse && (token.IsValid || c.mode == RetryMode.Never);
            }, 500);
    }

    [Fact]
    public void Counters_track_the_lifecycle_and_reject_underflow()
    {
        var a = new HandshakeAdmission();
        Assert.Throws<InvalidOperationException>(a.OnHandshakeCompleted);
        Assert.Throws<InvalidOperationException>(a.OnHandshakeFailed);
        Assert.Throws<InvalidOperationException>(a.OnAccepted);
        Assert.Throws<InvalidOperationException>(a.OnUnacceptedConnectionClosed);
        a.OnHandshakeStarted();
        a.OnHandshakeStarted();
        a.OnHandshakeFailed();
        a.OnHandshakeCompleted();
        Assert.Equal(0, a.HandshakesInFlight);
        Assert.Equal(1, a.PendingAccepts);
        a.OnAccepted();
        Assert.Equal(0, a.PendingAccepts);
    }

    [Fact]
    public void Bad_options_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeAdmission(new HandshakeAdmissionOptions { MaxHandshakes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeAdmission(new HandshakeAdmissionOptions { AcceptBacklog = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeAdmission(new HandshakeAdmissionOptions { RetryThreshold = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeAdmission(new HandshakeAdmissionOptions { OverloadResponse = AdmissionDecision.Accept }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeAdmission(new HandshakeAdmissionOptions { RetryMode = (RetryMode)9 }));
    }
}
