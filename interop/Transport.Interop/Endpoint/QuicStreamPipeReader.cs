using System.IO.Pipelines;
using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// A <see cref="PipeReader"/> over the receive side of a <see cref="QuicStream"/> (a <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions?)"/>
/// reader underneath). Completing it before the peer's FIN was read sends STOP_SENDING with H3_NO_ERROR (0x100; the
/// IH3Stream contract), and tells the owner (so the stream can be released once both halves are done).
/// </summary>
public sealed class QuicStreamPipeReader : PipeReader
{
    private const ulong NoError = 0x100;
    private readonly QuicStream _stream;
    private readonly PipeReader _inner;
    private readonly Action _onCompleted;
    private bool _finished, _completed;

    /// <summary>Wraps the receive side of <paramref name="stream"/>; <paramref name="onCompleted"/> runs once, when the reader is completed.</summary>
    public QuicStreamPipeReader(QuicStream stream, Action onCompleted)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _onCompleted = onCompleted ?? throw new ArgumentNullException(nameof(onCompleted));
        _inner = Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
    }

    /// <summary>The owner sent STOP_SENDING: the reader counts as completed (no second STOP_SENDING).</summary>
    internal void MarkAborted()
    {
        if (_completed) return;
        _completed = true;
        _onCompleted();
    }

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => _inner.AdvanceTo(consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _inner.AdvanceTo(consumed, examined);

    /// <inheritdoc/>
    public override void CancelPendingRead() => _inner.CancelPendingRead();

    /// <inheritdoc/>
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ReadResult r = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (r.IsCompleted) _finished = true;
        return r;
    }

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result)
    {
        bool ok = _inner.TryRead(out result);
        if (ok && result.IsCompleted) _finished = true;
        return ok;
    }

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        await _inner.CompleteAsync(exception).ConfigureAwait(false);
        if (!_finished)
        {
            try { _stream.Abort(QuicAbortDirection.Read, NoError); } // RFC 9114 §4.1.1: no longer interested
            catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
        }
        _onCompleted();
    }
}
