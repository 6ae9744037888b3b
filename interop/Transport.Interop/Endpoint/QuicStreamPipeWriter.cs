using System.IO.Pipelines;
using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// A <see cref="PipeWriter"/> over the send side of a <see cref="QuicStream"/> (a <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/>
/// writer underneath): <see cref="Complete"/> without an exception flushes and sends FIN, with one it sends
/// RESET_STREAM (code 0x102, H3_INTERNAL_ERROR); <see cref="FlushAsync"/> reports <c>IsCompleted</c> once the peer
/// sent STOP_SENDING instead of throwing.
/// </summary>
public sealed class QuicStreamPipeWriter : PipeWriter
{
    private const ulong InternalError = 0x102;
    private readonly QuicStream _stream;
    private readonly PipeWriter _inner;
    private readonly Action? _onCompleted;
    private bool _stopped, _completed, _aborted;

    /// <summary>Wraps the send side of <paramref name="stream"/>; <paramref name="onCompleted"/> runs once, when the writer is completed.</summary>
    public QuicStreamPipeWriter(QuicStream stream, Action? onCompleted = null)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _onCompleted = onCompleted;
        _inner = Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
    }

    /// <summary>The owner sent RESET_STREAM: nothing more is written, and the writer counts as completed.</summary>
    internal void MarkAborted()
    {
        _aborted = true;
        if (_completed) return;
        _completed = true;
        _onCompleted?.Invoke();
    }

    /// <summary>
    /// Writes <paramref name="data"/> and FIN in one stream write (one STREAM frame when it fits, instead of a data packet
    /// and a FIN packet), after whatever is buffered, and completes the writer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The writer was already completed.</exception>
    public async ValueTask WriteFinalAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (_completed) throw new InvalidOperationException("The writer was already completed.");
        try
        {
            if (!_stopped && !_aborted)
            {
                if (_inner.UnflushedBytes > 0) await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                await _stream.WriteAsync(data, completeWrites: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (QuicException e) when (e.Error == QuicError.StreamStopped)
        {
            _stopped = true;
        }
        finally
        {
            _completed = true;
            try { await _inner.CompleteAsync().ConfigureAwait(false); } // nothing left buffered; leaves the stream open
            catch (Exception e) when (e is QuicException or InvalidOperationException) { }
            _onCompleted?.Invoke();
        }
    }

    /// <inheritdoc/>
    public override void Advance(int bytes) => _inner.Advance(bytes);

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    /// <inheritdoc/>
    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    /// <inheritdoc/>
    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped) return new FlushResult(isCanceled: false, isCompleted: true);
        try
        {
            return await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QuicException e) when (e.Error == QuicError.StreamStopped)
        {
            _stopped = true;
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
    }

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        try
        {
            await CompleteCoreAsync(exception).ConfigureAwait(false);
        }
        finally
        {
            _onCompleted?.Invoke();
        }
    }

    private async ValueTask CompleteCoreAsync(Exception? exception)
    {
        if (exception is null && !_stopped && !_aborted)
        {
            try
            {
                await _inner.CompleteAsync().ConfigureAwait(false); // flushes what is buffered
                _stream.CompleteWrites();                            // FIN (RFC 9000 §3.1)
                return;
            }
            catch (QuicException e) when (e.Error == QuicError.StreamStopped) { return; }
        }
        try { await _inner.CompleteAsync(exception).ConfigureAwait(false); }
        catch (Exception e) when (e is QuicException or InvalidOperationException) { }
        if (!_stopped && !_aborted)
        {
            try { _stream.Abort(QuicAbortDirection.Write, InternalError); }
            catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
        }
    }
}
