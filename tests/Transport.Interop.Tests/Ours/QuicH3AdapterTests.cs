using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Transport.Interop.Endpoint;
using Transport.Interop.Http3;
using Transport.Quic;

namespace Transport.Interop.Tests.Ours;

/// <summary>The IH3Connection/IH3Stream adapter over our public API: FIN, RESET_STREAM, STOP_SENDING as the contract says.</summary>
[Collection(OursCollection.Name)]
public sealed class QuicH3AdapterTests(OursFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private async Task<(QuicListener Listener, QuicConnection Client, QuicConnection Server)> ConnectAsync(CancellationToken ct)
    {
        var config = new EndpointConfig { Certs = fixture.Certificates.Directory };
        InteropTestCase tc = InteropTestCase.ForServer("transfer")!;
        QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = InteropServer.CreateConnectionOptions(config, tc),
        }, ct);
        QuicConnection client = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port),
            ConnectionOptions = InteropClient.CreateConnectionOptions(config, InteropTestCase.ForClient("transfer")!, "hq-interop", "server4"),
        }, ct);
        QuicConnection server = await listener.AcceptConnectionAsync(ct);
        return (listener, client, server);
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken ct)
    {
        var all = new MemoryStream();
        while (true)
        {
            ReadResult r = await reader.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> m in r.Buffer) all.Write(m.Span);
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) break;
        }
        await reader.CompleteAsync();
        return all.ToArray();
    }

    [Fact(Timeout = 60_000)]
    public async Task Writer_completion_is_fin_and_bytes_arrive_in_order()
    {
        using var cts = new CancellationTokenSource(Deadline);
        (QuicListener listener, QuicConnection client, QuicConnection server) = await ConnectAsync(cts.Token);
        await using (listener)
        await using (client)
        await using (server)
        {
            var c = new QuicH3Connection(client);
            var s = new QuicH3Connection(server);
            IH3Stream outbound = await c.OpenBidirectionalStreamAsync(cts.Token);
            byte[] payload = new byte[300_000];
            new Random(1).NextBytes(payload);
            await outbound.Output.WriteAsync(payload, cts.Token);
            await outbound.Output.CompleteAsync();
            IH3Stream inbound = (await s.AcceptStreamAsync(cts.Token))!;
            Assert.Equal(outbound.StreamId, inbound.StreamId);
            Assert.True(inbound.CanRead && inbound.CanWrite);
            Assert.Equal(payload, await ReadToEndAsync(inbound.Input, cts.Token));
            // and back: the server's FIN ends the client's read
            await inbound.Output.WriteAsync("done"u8.ToArray(), cts.Token);
            await inbound.Output.CompleteAsync();
            Assert.Equal("done"u8.ToArray(), await ReadToEndAsync(outbound.Input, cts.Token));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Writer_completed_with_an_exception_resets_the_stream()
    {
        using var cts = new CancellationTokenSource(Deadline);
        (QuicListener listener, QuicConnection client, QuicConnection server) = await ConnectAsync(cts.Token);
        await using (listener)
        await using (client)
        await using (server)
        {
            IH3Stream outbound = await new QuicH3Connection(client).OpenBidirectionalStreamAsync(cts.Token);
            await outbound.Output.WriteAsync(new byte[10], cts.Token);
            await outbound.Output.CompleteAsync(new InvalidOperationException("application failed"));
            IH3Stream inbound = (await new QuicH3Connection(server).AcceptStreamAsync(cts.Token))!;
            var e = await Assert.ThrowsAsync<QuicException>(() => ReadToEndAsync(inbound.Input, cts.Token));
            Assert.Equal(QuicError.StreamAborted, e.Error);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Reader_completed_early_stops_the_peers_writer()
    {
        using var cts = new CancellationTokenSource(Deadline);
        (QuicListener listener, QuicConnection client, QuicConnection server) = await ConnectAsync(cts.Token);
        await using (listener)
        await using (client)
        await using (server)
        {
            IH3Stream outbound = await new QuicH3Connection(client).OpenBidirectionalStreamAsync(cts.Token);
            await outbound.Output.WriteAsync(new byte[100], cts.Token);
            IH3Stream inbound = (await new QuicH3Connection(server).AcceptStreamAsync(cts.Token))!;
            ReadResult first = await inbound.Input.ReadAsync(cts.Token);
            inbound.Input.AdvanceTo(first.Buffer.End);
            await inbound.Input.CompleteAsync(); // not interested any more: STOP_SENDING (H3_NO_ERROR)
            bool stopped = false;
            byte[] chunk = new byte[16 * 1024];
            for (int i = 0; i < 10_000 && !stopped; i++)
            {
                FlushResult f = await outbound.Output.WriteAsync(chunk, cts.Token);
                stopped = f.IsCompleted;
            }
            Assert.True(stopped, "the writer never saw the peer's STOP_SENDING");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Accept_returns_null_once_the_connection_is_closed()
    {
        using var cts = new CancellationTokenSource(Deadline);
        (QuicListener listener, QuicConnection client, QuicConnection server) = await ConnectAsync(cts.Token);
        await using (listener)
        await using (client)
        await using (server)
        {
            var c = new QuicH3Connection(client);
            var s = new QuicH3Connection(server);
            Task<IH3Stream?> accept = s.AcceptStreamAsync(cts.Token).AsTask();
            await c.CloseAsync(0x100, cts.Token);
            await c.CloseAsync(0x100, cts.Token); // idempotent
            Assert.Null(await accept.WaitAsync(cts.Token));
            Assert.Null(await s.AcceptStreamAsync(cts.Token));
        }
    }
}
