using System.IO.Pipelines;
using Transport.Interop.Http3;
using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// <see cref="IH3Stream"/> over a <see cref="QuicStream"/>: <see cref="Input"/> is a <see cref="QuicStreamPipeReader"/>
/// (completing it before FIN sends STOP_SENDING 0x100), <see cref="Output"/> a <see cref="QuicStreamPipeWriter"/> whose
/// completion sends FIN (or RESET_STREAM when completed with an exception). When both halves are done (completed or
/// aborted) the stream is disposed, so the connection forgets it.
/// </summary>
public sealed class QuicH3Stream : IH3Stream
{
    private readonly QuicStreamPipeReader? _input;
    private readonly QuicStreamPipeWriter? _output;
    private int _readAborted, _writeAborted, _halvesOpen;

    /// <summary>Wraps <paramref name="stream"/>; <paramref name="isLocal"/> says whether this side opened it.</summary>
    public QuicH3Stream(QuicStream stream, bool isLocal)
    {
        Stream = stream ?? throw new ArgumentNullException(nameof(stream));
        IsLocal = isLocal;
        _halvesOpen = (stream.CanRead ? 1 : 0) + (stream.CanWrite ? 1 : 0);
        if (stream.CanRead) _input = new QuicStreamPipeReader(stream, HalfDone);
        if (stream.CanWrite) _output = new QuicStreamPipeWriter(stream, HalfDone);
    }

    /// <summary>
    /// Once the reader and the writer are both completed, the stream object is released (disposed: the connection
    /// forgets it; nothing more goes on the wire, as both halves already ended).
    /// </summary>
    private void HalfDone()
    {
        if (Interlocked.Decrement(ref _halvesOpen) != 0) return;
        try { Stream.Dispose(); }
        catch (Exception e) when (e is QuicException or ObjectDisposedException) { /* the connection is gone anyway */ }
    }

    /// <summary>The wrapped stream.</summary>
    public QuicStream Stream { get; }

    /// <summary>True when this side opened the stream.</summary>
    public bool IsLocal { get; }

    /// <inheritdoc/>
    public long StreamId => Stream.Id;

    /// <inheritdoc/>
    public bool CanRead => _input is not null;

    /// <inheritdoc/>
    public bool CanWrite => _output is not null;

    /// <inheritdoc/>
    public PipeReader Input => _input ?? throw new InvalidOperationException($"Stream {StreamId} cannot be read.");

    /// <inheritdoc/>
    public PipeWriter Output => _output ?? throw new InvalidOperationException($"Stream {StreamId} cannot be written.");

    /// <inheritdoc/>
    public ValueTask WriteFinalAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        (_output ?? throw new InvalidOperationException($"Stream {StreamId} cannot be written.")).WriteFinalAsync(data, cancellationToken);

    /// <inheritdoc/>
    public void AbortRead(long errorCode)
    {
        if (_input is null || Interlocked.Exchange(ref _readAborted, 1) != 0) return;
        try { Stream.Abort(QuicAbortDirection.Read, (ulong)errorCode); }
        catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
        _input.MarkAborted();
    }

    /// <inheritdoc/>
    public void AbortWrite(long errorCode)
    {
        if (_output is null || Interlocked.Exchange(ref _writeAborted, 1) != 0) return;
        try { Stream.Abort(QuicAbortDirection.Write, (ulong)errorCode); }
        catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
        _output.MarkAborted();
    }
}
