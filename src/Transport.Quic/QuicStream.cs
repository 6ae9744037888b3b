using Transport.Quic.Connection;

namespace Transport.Quic;

/// <summary>
/// A QUIC stream as a <see cref="Stream"/> (like System.Net.Quic's QuicStream). Reads wait for data; writes copy into
/// the connection's send buffer and wait while more than <see cref="MaxBufferedSendBytes"/> are unacknowledged.
/// </summary>
public sealed class QuicStream : Stream
{
    /// <summary>Unacknowledged bytes a write may leave in the stream's send buffer before it waits (back-pressure).</summary>
    public const int MaxBufferedSendBytes = 256 * 1024;

    private const int WriteChunk = 64 * 1024;
    private readonly QuicConnection _connection;
    private bool _readFinished, _writesCompleted;
    private ulong? _peerResetCode, _peerStopSendingCode;

    internal QuicStream(QuicConnection connection, long id, bool canRead, bool canWrite)
    {
        _connection = connection;
        Id = id;
        CanRead = canRead;
        CanWrite = canWrite;
    }

    internal AsyncSignal ReadSignal { get; } = new();

    internal AsyncSignal WriteSignal { get; } = new();

    /// <summary>The stream ID (RFC 9000 §2.1).</summary>
    public long Id { get; }

    /// <inheritdoc/>
    public override bool CanRead { get; }

    /// <inheritdoc/>
    public override bool CanWrite { get; }

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException("A QUIC stream has no length.");

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException("A QUIC stream cannot seek.");
        set => throw new NotSupportedException("A QUIC stream cannot seek.");
    }

    internal void OnPeerReset(ulong code) { _peerResetCode = code; ReadSignal.Set(); }

    internal void OnPeerStopSending(ulong code) { _peerStopSendingCode = code; WriteSignal.Set(); }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; 0 once the peer's FIN was read.</summary>
    /// <exception cref="QuicException">The peer reset the stream, or the connection closed.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!CanRead) throw new InvalidOperationException($"Stream {Id} is send-only.");
        if (buffer.Length == 0 || _readFinished) return 0;
        while (true)
        {
            (int n, Task wait) = _connection.Pump.Invoke(_ =>
            {
                if (_peerResetCode is { } code)
                    throw new QuicException(QuicError.StreamAborted, code, null, ConnectionCloseSource.None, $"The peer reset stream {Id} with code 0x{code:x}.");
                var core = _connection.Core;
                if (!core.IsTerminated)
                {
                    int read = core.ReadStream(Id, buffer.Span, out bool fin);
                    if (fin) _readFinished = true;
                    if (read > 0 || fin) return (read, Task.CompletedTask);
                }
                _connection.ThrowIfClosed();
                return (-1, ReadSignal.Task);
            });
            if (n >= 0) return n;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues <paramref name="buffer"/> for sending, waiting while the send buffer is full.</summary>
    /// <exception cref="QuicException">The peer sent STOP_SENDING, or the connection closed.</exception>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only.");
        if (_writesCompleted) throw new InvalidOperationException($"Writes on stream {Id} were completed.");
        while (true)
        {
            (int written, Task wait) = _connection.Pump.Invoke(_ =>
            {
                ThrowIfCannotWrite();
                var core = _connection.Core;
                long room = MaxBufferedSendBytes - core.GetStreamBufferedBytes(Id);
                if (room <= 0) return (0, WriteSignal.Task);
                int n = (int)Math.Min(Math.Min(room, buffer.Length), WriteChunk);
                core.WriteStream(Id, buffer.Span.Slice(0, n));
                return (n, Task.CompletedTask);
            });
            buffer = buffer.Slice(written);
            if (buffer.IsEmpty) return;
            if (written == 0)
            {
                // StreamWritable wakes the writer; the short timeout is a safety net that re-checks the buffer.
                try { await wait.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false); }
                catch (TimeoutException) { }
            }
        }
    }

    private void ThrowIfCannotWrite()
    {
        if (_peerStopSendingCode is { } code)
            throw new QuicException(QuicError.StreamStopped, code, null, ConnectionCloseSource.None, $"The peer stopped stream {Id} with code 0x{code:x}.");
        _connection.ThrowIfClosed();
    }

    /// <summary>Ends the send side: FIN follows what was written (RFC 9000 §3.1). Does nothing the second time.</summary>
    public void CompleteWrites()
    {
        if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only.");
        if (_writesCompleted) return;
        _connection.Pump.Invoke(_ => { ThrowIfCannotWrite(); _connection.Core.FinishStream(Id); return 0; });
        _writesCompleted = true;
    }

    /// <summary>
    /// Aborts the stream: RESET_STREAM on the send side and/or STOP_SENDING on the receive side, with the application
    /// <paramref name="errorCode"/> (RFC 9000 §3.1, §3.5).
    /// </summary>
    public void Abort(QuicAbortDirection direction, ulong errorCode)
    {
        _connection.Pump.Invoke(_ =>
        {
            var core = _connection.Core;
            if (core.IsClosed) return 0;
            if ((direction & QuicAbortDirection.Write) != 0 && CanWrite && !_writesCompleted) core.ResetStream(Id, errorCode);
            if ((direction & QuicAbortDirection.Read) != 0 && CanRead && !_readFinished) core.StopSending(Id, errorCode);
            return 0;
        });
        if ((direction & QuicAbortDirection.Write) != 0) _writesCompleted = true;
    }

    /// <summary>Data is handed to the connection on write; the connection sends it as pacing and congestion allow.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <inheritdoc/>
    public override void Flush() { }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A QUIC stream cannot seek.");

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("A QUIC stream has no length.");
}
