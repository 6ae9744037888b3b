using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Api;

public class QuicApiDatagramTests
{
    [Fact]
    public async Task Datagrams_AreEchoed_Intact()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            try
            {
                while (true) c.SendDatagram(await c.ReceiveDatagramAsync(cts.Token));
            }
            catch (QuicException) { }
        });
        await using var client = await ApiTest.Connect(listener, cts.Token);
        Assert.True(client.MaxDatagramSize > 1000, $"MaxDatagramSize {client.MaxDatagramSize}");
        for (int i = 0; i < 10; i++) client.SendDatagram(ApiTest.Random(100 + i, i));
        for (int i = 0; i < 10; i++)
        {
            byte[] d = await client.ReceiveDatagramAsync(cts.Token);
            Assert.Equal(ApiTest.Random(100 + i, i), d); // loopback neither loses nor reorders
        }
        var stats = client.GetStatistics();
        Assert.Equal(10, stats.DatagramsSent);
        Assert.Equal(10, stats.DatagramsReceived);
        await client.CloseAsync(0, cts.Token);
        await server.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task SendDatagram_TooLarge_ThrowsArgumentException_NamingTheLimit()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        await using var client = await ApiTest.Connect(listener, cts.Token);
        int max = client.MaxDatagramSize;
        var ex = Assert.Throws<ArgumentException>(() => client.SendDatagram(new byte[max + 1]));
        Assert.Contains(max.ToString(), ex.Message);
        client.SendDatagram(new byte[max]); // the limit itself is fine
    }

    [Fact]
    public async Task SendDatagram_PeerWithoutDatagramSupport_ThrowsInvalidOperation()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(o => o.MaxDatagramFrameSize = null, ct: cts.Token);
        await using var client = await ApiTest.Connect(listener, cts.Token);
        Assert.Equal(0, client.MaxDatagramSize);
        var ex = Assert.Throws<InvalidOperationException>(() => client.SendDatagram(new byte[10]));
        Assert.Contains("max_datagram_frame_size", ex.Message);
    }

    [Fact]
    public async Task ReceiveQueue_IsBounded_DropsOldest_AndCounts()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            var marker = await c.OpenOutboundStreamAsync(bidirectional: false, cts.Token);
            for (int i = 0; i < 20; i++) c.SendDatagram(new[] { (byte)i });
            // DATAGRAM frames go before STREAM frames: the marker arrives after the datagrams.
            await marker.WriteAsync(new byte[] { 1 }, completeWrites: true, cts.Token);
            try { await c.AcceptInboundStreamAsync(cts.Token); } catch (QuicException) { }
        });
        var options = ApiTest.Client(listener);
        options.DatagramReceiveQueueCapacity = 4;
        await using var client = await QuicConnection.ConnectAsync(options, cts.Token);
        await using var stream = await client.AcceptInboundStreamAsync(cts.Token);
        Assert.Equal(new byte[] { 1 }, await ApiTest.ReadToEnd(stream, cts.Token));
        Assert.Equal(20, client.GetStatistics().DatagramsReceived);
        Assert.Equal(16, client.DatagramsDroppedOnReceive);
        for (int i = 16; i < 20; i++) Assert.Equal(new[] { (byte)i }, await client.ReceiveDatagramAsync(cts.Token));
        await client.CloseAsync(0, cts.Token);
        await server.WaitAsync(cts.Token);
    }
}
