using System.Buffers;
using System.IO.Pipelines;

namespace Transport.Quic.Tests.Api;

public class QuicApiPipeTests
{
    private static async Task<byte[]> ReadAll(PipeReader reader, CancellationToken ct)
    {
        var ms = new MemoryStream();
        while (true)
        {
            ReadResult r = await reader.ReadAsync(ct);
            foreach (var segment in r.Buffer) ms.Write(segment.Span);
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) break;
        }
        await reader.CompleteAsync();
        return ms.ToArray();
    }

    private static async Task WriteAll(PipeWriter writer, byte[] data, CancellationToken ct)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            int n = Math.Min(3000, data.Length - offset);   // odd chunks through GetSpan/Advance
            data.AsSpan(offset, n).CopyTo(writer.GetSpan(n));
            writer.Advance(n);
            offset += n;
            if (offset % 30000 == 0) await writer.FlushAsync(ct);
        }
        await writer.CompleteAsync();   // flush + FIN
    }

    [Fact]
    public async Task PipeReaderAndWriter_Echo_WithFinOnComplete()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(cts.Token);
            await using var s = await c.AcceptInboundStreamAsync(cts.Token);
            byte[] request = await ReadAll(s.Reader, cts.Token);   // ends at the client's FIN
            await WriteAll(s.Writer, request, cts.Token);
            try { await c.AcceptInboundStreamAsync(cts.Token); } catch (QuicException) { }
        });
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
        byte[] payload = ApiTest.Random(300_000 + 17, 9);
        var read = ReadAll(stream.Reader, cts.Token);
        await WriteAll(stream.Writer, payload, cts.Token);
        Assert.Equal(payload, await read);
        await client.CloseAsync(0, cts.Token);
        await server.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task PipeWriter_CompletedWithException_ResetsTheStream()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;
        await using var stream = await client.OpenOutboundStreamAsync(bidirectional: false, cts.Token);
        stream.Writer.GetSpan(1)[0] = 5;
        stream.Writer.Advance(1);
        await stream.Writer.FlushAsync(cts.Token);
        await using var s = await server.AcceptInboundStreamAsync(cts.Token);
        await stream.Writer.CompleteAsync(new InvalidOperationException("application failed"));
        var ex = await Assert.ThrowsAsync<QuicException>(async () => await ReadAll(s.Reader, cts.Token));
        Assert.Equal(QuicError.StreamAborted, ex.Error);
    }
}
