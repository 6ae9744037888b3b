using System.IO.Pipelines;

namespace Transport.Quic;

/// <summary>
/// <see cref="QuicStream.Writer"/>: a <see cref="PipeWriter"/> over the stream whose completion ends the send side —
/// FIN after the flushed bytes, or RESET_STREAM (code 0) when completed with an exception.
/// </summary>
internal sealed class QuicStreamPipeWriter : PipeWriter
{
    private readonly QuicStream _stream;
    private readonly PipeWriter _inner;

    public QuicStreamPipeWriter(QuicStream stream)
    {
        _stream = stream;
        _inner = Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        try
        {
            await _inner.CompleteAsync(exception).ConfigureAwait(false); // flushes what is buffered unless faulted
        }
        catch (Exception) when (exception is not null)
        {
        }
        if (exception is null) _stream.CompleteWrites();
        else _stream.Abort(QuicAbortDirection.Write, 0);
    }
}
