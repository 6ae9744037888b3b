namespace Transport.Quic.Tests.Api;

public class QuicApiBackPressureTests
{
    /// <summary>
    /// A writer blocked on a full send buffer is woken only by StreamWritable / StreamSendCompleted (there is no timer
    /// re-checking). With losses, ACKs arrive for ranges after a hole first; the wake-up must still come once the hole is
    /// repaired. Every 23rd client datagram after the handshake is dropped; 2 MB must arrive intact before the deadline.
    /// </summary>
    [Fact]
    public async Task BlockedWriter_IsWoken_ThroughLossRecovery()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await using var s = await c.AcceptInboundStreamAsync(cts.Token);
            byte[] all = await ApiTest.ReadToEnd(s, cts.Token);
            await s.WriteAsync(BitConverter.GetBytes(all.Length), completeWrites: true, cts.Token);
            try { await c.AcceptInboundStreamAsync(cts.Token); } catch (QuicException) { }
            return all;
        });
        // Losses only while the data moves: the client's single CONNECTION_CLOSE must reach the server, or the server
        // would learn of the close only from its idle timeout (RFC 9000 §10.2 sends it once), beyond the test's deadline.
        bool dataDone = false;
        using var relay = new HoldingRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, listener.LocalEndPoint.Port), hold: false)
        {
            DropClientDatagram = i => !Volatile.Read(ref dataDone) && i > 10 && i % 23 == 0,
        };
        var options = ApiTest.Client(listener);
        options.RemoteEndPoint = relay.EndPoint;
        await using var client = await QuicConnection.ConnectAsync(options, cts.Token);
        await using var stream = await client.OpenOutboundStreamAsync(true, cts.Token);
        byte[] payload = ApiTest.Random(2 << 20, 44);
        var reply = ApiTest.ReadToEnd(stream, cts.Token);
        for (int offset = 0; offset < payload.Length; offset += 100_000) // many writes, each may block on the buffer
            await stream.WriteAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)), cts.Token);
        stream.CompleteWrites();
        Assert.Equal(payload.Length, BitConverter.ToInt32(await reply));
        Volatile.Write(ref dataDone, true);
        var stats = client.GetStatistics();
        await client.CloseAsync(0, cts.Token);
        Assert.Equal(payload, await server.WaitAsync(cts.Token));
        Assert.True(relay.Dropped > 0);
        Assert.True(stats.PacketsLost > 0, stats.ToString());
    }
}
