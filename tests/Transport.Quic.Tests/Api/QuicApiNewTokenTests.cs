using Transport.Quic.Endpoint;

namespace Transport.Quic.Tests.Api;

public class QuicApiNewTokenTests
{
    [Fact]
    public async Task ReturningClient_WithNewToken_SkipsRetry()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(configure: o =>
        {
            o.RetryMode = RetryMode.Always;
            o.IssueNewTokens = true;
        }, ct: cts.Token);
        // The listener completes both handshakes; the test needs no server-side work (connections wait in the backlog).
        long Retries() => listener.Pump.Invoke(static core => core.RetriesSent);

        byte[] token;
        await using (var first = await ApiTest.Connect(listener, cts.Token))
        {
            Assert.Equal(1, Retries()); // an unvalidated address gets a Retry
            token = await first.WaitForNewTokenAsync(cts.Token);
            Assert.Equal(token, first.ReceivedToken);
        }
        await using (var second = await ApiTest.Connect(listener, cts.Token, o => o.InitialToken = token))
        {
            Assert.Equal(1, Retries()); // the NEW_TOKEN token validated the address: no second Retry
        }
    }
}
