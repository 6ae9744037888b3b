namespace Transport.Quic.Tests.Api;

public class QuicApiStatisticsTests
{
    [Fact]
    public async Task Statistics_AfterTransfer_ReportSendsRttWindowAndLosses()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(c, cts.Token);
        });
        var client = await ApiTest.Connect(listener, cts.Token);
        byte[] payload = ApiTest.Random(512 * 1024, 3);
        var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
        Assert.Equal(1, client.GetStatistics().StreamsOpen);
        var read = ApiTest.ReadToEnd(stream, cts.Token);
        await stream.WriteAsync(payload, completeWrites: true, cts.Token);
        Assert.Equal(payload, await read);

        var s = client.GetStatistics();
        Assert.True(s.PacketsSent > 0 && s.PacketsReceived > 0, s.ToString());
        Assert.True(s.BytesSent >= payload.Length && s.BytesReceived >= payload.Length, s.ToString());
        Assert.True(s.StreamBytesSent >= payload.Length, s.ToString());
        Assert.True(s.StreamBytesRead == payload.Length, s.ToString());
        Assert.True(s.SmoothedRtt > TimeSpan.Zero && s.MinRtt > TimeSpan.Zero && s.LatestRtt > TimeSpan.Zero, s.ToString());
        Assert.True(s.CongestionWindow > 0, s.ToString());
        Assert.True(s.PacketsLost <= s.PacketsSent && s.PacketsRetransmitted <= s.PacketsSent, s.ToString());
        Assert.False(string.IsNullOrEmpty(s.CongestionControllerName));
        Assert.True(s.PacingRate >= 0);
        Assert.Equal(0, s.InternalErrors);

        await client.DisposeAsync();
        var last = client.GetStatistics(); // the last snapshot stays readable
        Assert.True(last.PacketsSent >= s.PacketsSent);
        await server.WaitAsync(cts.Token);
    }
}
