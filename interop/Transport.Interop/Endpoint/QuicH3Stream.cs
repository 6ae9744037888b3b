using System.IO.Pipelines;
using Transport.Interop.Http3;
using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// <see cref="IH3Stream"/> over a <see cref="QuicStream"/>: <see cref="Input"/> is a <see cref="PipeReader"/> over
/// its reads, <see cref="Output"/> a <see cref="QuicStreamPipeWriter"/> whose completion sends FIN (or RESET_STREAM
/// when completed with an exception).
/// </summary>
public sealed class QuicH3Stream : IH3Stream
{
    private readonly PipeReader? _input;
    private readonly QuicStreamPipeWriter? _output;
    private int _readAborted, _writeAborted;

    /// <summary>Wraps <paramref name="stream"/>; <paramref name="isLocal"/> says whether this side opened it.</summary>
    public QuicH3Stream(QuicStream stream, bool isLocal)
    {
        Stream = stream ?? throw new ArgumentNullException(nameof(stream));
        IsLocal = isLocal;
        if (stream.CanRead) _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        if (stream.CanWrite) _output = new QuicStreamPipeWriter(stream);
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
    public void AbortRead(long errorCode)
    {
        if (_input is null || Interlocked.Exchange(ref _readAborted, 1) != 0) return;
        try { Stream.Abort(QuicAbortDirection.Read, (ulong)errorCode); }
        catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
    }

    /// <inheritdoc/>
    public void AbortWrite(long errorCode)
    {
        if (_output is null || Interlocked.Exchange(ref _writeAborted, 1) != 0) return;
        _output.MarkAborted();
        try { Stream.Abort(QuicAbortDirection.Write, (ulong)errorCode); }
        catch (Exception e) when (e is QuicException or ObjectDisposedException or InvalidOperationException) { }
    }
}
