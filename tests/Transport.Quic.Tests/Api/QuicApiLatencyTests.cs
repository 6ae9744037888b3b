using System.Diagnostics;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Api;

public class QuicApiLatencyTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1000 request/response round trips of 64 bytes on one stream over loopback. Asserts only that every response is
    /// the request echoed; the time is printed (a figure, not an assertion). Latency bound by a timeout or polling
    /// interval would show as ~20 ms or ~100 ms per round trip.
    /// </summary>
    [Fact]
    public async Task PingPong_1000RoundTrips_64Bytes()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await using var s = await c.AcceptInboundStreamAsync(cts.Token);
            var buffer = new byte[64];
            while (true)
            {
                int n = await s.ReadAtLeastAsync(buffer, 64, throwOnEndOfStream: false, cts.Token);
                if (n < 64) break;
                await s.WriteAsync(buffer, cts.Token);
            }
            s.CompleteWrites();
            try { await c.AcceptInboundStreamAsync(cts.Token); } catch (QuicException) { }
        });
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var stream = await client.OpenOutboundStreamAsync(true, cts.Token);
        var request = new byte[64];
        var response = new byte[64];
        for (int warm = 0; warm < 20; warm++)
        {
            await stream.WriteAsync(request, cts.Token);
            await stream.ReadExactlyAsync(response, cts.Token);
        }
        const int RoundTrips = 1000;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < RoundTrips; i++)
        {
            request[0] = (byte)i;
            request[63] = (byte)(i >> 8);
            await stream.WriteAsync(request, cts.Token);
            await stream.ReadExactlyAsync(response, cts.Token);
            Assert.Equal(request, response);
        }
        sw.Stop();
        output.WriteLine($"{RoundTrips} round trips of 64 bytes: {sw.Elapsed.TotalMilliseconds:F0} ms, {sw.Elapsed.TotalMicroseconds / RoundTrips:F0} us each");
        stream.CompleteWrites();
        await ApiTest.ReadToEnd(stream, cts.Token);
        await client.CloseAsync(0, cts.Token);
        await server.WaitAsync(cts.Token);
    }
}
