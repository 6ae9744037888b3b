using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Transport.Quic.Connection;

namespace Transport.Quic;

/// <summary>
/// A QUIC stream as a <see cref="Stream"/> (like System.Net.Quic's QuicStream), and through <see cref="Reader"/> /
/// <see cref="Writer"/> as System.IO.Pipelines. Reads wait for data; writes copy into the connection's send buffer and
/// wait while more than <see cref="MaxBufferedSendBytes"/> are unacknowledged. One reader and one writer may work at the
/// same time.
/// </summary>
public sealed class QuicStream : Stream
{
    /// <summary>
    /// Unacknowledged bytes a write may leave in the stream's send buffer before it waits (back-pressure). It bounds a
    /// stream's bytes in flight, so it must exceed the path's bandwidth-delay product: 256 KiB capped a stream at
    /// 200 Mbit/s once the RTT reached 10 ms (a loaded machine's loopback, or any WAN path), below the congestion window
    /// (kernel TCP grows its send buffer to 4 MiB for the same reason). The buffer holds only what the application wrote
    /// ahead of the acknowledgments.
    /// </summary>
    public const int MaxBufferedSendBytes = 1024 * 1024;

    private const int WriteChunk = 64 * 1024;
    private readonly QuicConnection _connection;
    private bool _readFinished, _writesCompleted, _readAborted, _writeAborted;
    private ulong? _peerResetCode, _peerStopSendingCode;
    private Memory<byte> _pendingReadBuffer; // under the lock: the buffer of the read that waits (empty: none, or a zero-byte read)
    private int _completedRead = -1;          // bytes OnReadable read into it for the waiting read (-1: none; 0 at FIN)
    private PipeReader? _reader;
    private PipeWriter? _writer;
    private int _disposed;

    internal QuicStream(QuicConnection connection, long id, bool canRead, bool canWrite)
    {
        _connection = connection;
        Id = id;
        CanRead = canRead;
        CanWrite = canWrite;
    }

    internal StreamSignal ReadSignal { get; } = new();

    internal StreamSignal WriteSignal { get; } = new();

    /// <summary>The stream ID (RFC 9000 §2.1).</summary>
    public long Id { get; }

    /// <summary>True for a bidirectional stream.</summary>
    public bool IsBidirectional => !StreamIds.IsUnidirectional(Id);

    /// <inheritdoc/>
    public override bool CanRead { get; }

    /// <inheritdoc/>
    public override bool CanWrite { get; }

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanTimeout => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException("A QUIC stream has no length.");

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException("A QUIC stream cannot seek.");
        set => throw new NotSupportedException("A QUIC stream cannot seek.");
    }

    /// <summary>
    /// The receive side as a <see cref="PipeReader"/> over this stream (the stream stays open when the reader completes).
    /// Use either the reader or <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, not both.
    /// </summary>
    public PipeReader Reader
    {
        get
        {
            if (!CanRead) throw new InvalidOperationException($"Stream {Id} is send-only: it has no reader.");
            return _reader ??= PipeReader.Create(this, new StreamPipeReaderOptions(leaveOpen: true));
        }
    }

    /// <summary>
    /// The send side as a <see cref="PipeWriter"/>: <see cref="PipeWriter.FlushAsync"/> hands the buffered bytes to the
    /// connection (waiting for send-buffer room); <see cref="PipeWriter.CompleteAsync"/> flushes and sends FIN
    /// (<see cref="CompleteWrites"/>), or, completed with an exception, resets the stream (RESET_STREAM code 0).
    /// Use either the writer or <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, not both.
    /// </summary>
    public PipeWriter Writer
    {
        get
        {
            if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only: it has no writer.");
            return _writer ??= new QuicStreamPipeWriter(this);
        }
    }

    /// <summary>
    /// Under the lock, on StreamReadable: a read that waits with a buffer gets its bytes here, on the thread that
    /// dispatched the event (the receive thread), so it resumes with its result instead of taking the lock again to read
    /// (and to flush what the read changed): a lock hold and two event dispatches less per read that waited. Only once
    /// the wait is claimed (<see cref="StreamSignal.TryClaim"/>): a cancelled read consumes nothing.
    /// </summary>
    internal void OnReadable()
    {
        if (_pendingReadBuffer.IsEmpty || _readAborted || _peerResetCode is not null || _readFinished)
        {
            ReadSignal.Set(); // a zero-byte read (it only waits), or the reader's own checks throw or return
            return;
        }
        Memory<byte> buffer = _pendingReadBuffer;
        _pendingReadBuffer = default; // claimed or not, the read that gave it is over or being completed now
        if (!ReadSignal.TryClaim()) return;
        var core = _connection.Core;
        if (!_connection.IsCoreGone && !core.IsTerminated)
        {
            int read = core.ReadStream(Id, buffer.Span, out bool fin);
            if (read > 0 || fin)
            {
                if (fin) _readFinished = true;
                _completedRead = read;
            }
        }
        ReadSignal.Release();
    }

    /// <summary>Under the lock.</summary>
    internal void OnPeerReset(ulong code) { _peerResetCode = code; ReadSignal.Set(); }

    /// <summary>Under the lock.</summary>
    internal void OnPeerStopSending(ulong code) { _peerStopSendingCode = code; WriteSignal.Set(); }

    /// <summary>
    /// Under the lock, on StreamWritable (an ACK advanced the acknowledged prefix): wakes a blocked writer only once a
    /// whole <see cref="WriteChunk"/> fits again. Waking it for every ACK (a few KiB each) cost a thread-pool hop, the lock
    /// and a tiny write per ACK; the buffer keeps more than enough queued meanwhile. No wake-up is lost: the event is
    /// re-armed, so every later advance of the prefix raises it again, down to an empty buffer.
    /// </summary>
    internal void OnWritable()
    {
        if (!_writesCompleted && !_connection.IsCoreGone && !_connection.Core.IsTerminated)
        {
            try
            {
                if (MaxBufferedSendBytes - _connection.Core.GetStreamBufferedBytes(Id) < WriteChunk)
                {
                    _connection.Core.RearmStreamWritable(Id); // the next ACK that frees room asks again
                    return;
                }
            }
            catch (ArgumentException)
            {
                // The core released the stream: wake the writer to see why.
            }
        }
        WriteSignal.Set();
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; 0 once the peer's FIN was read.</summary>
    /// <exception cref="QuicException">The peer reset the stream (<see cref="QuicError.StreamAborted"/> with its code), this side aborted reading, or the connection closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (no data is lost: the next read returns it).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no state-machine box per read that waits
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!CanRead) throw new InvalidOperationException($"Stream {Id} is send-only.");
        ThrowIfDisposed();
        if (_readFinished) return 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (int n, ValueTask wait) = _connection.Pump.Invoke(_connection.Core, (this, buffer), static (_, s) => s.Item1.TryRead(s.buffer));
            if (n >= 0)
            {
                LatencyProbe.Mark(_connection.IsServer, LatencyProbe.ReadReturned);
                return n;
            }
            using (ReadSignal.RegisterCancellation(cancellationToken))
                await wait.ConfigureAwait(false);
            LatencyProbe.Mark(_connection.IsServer, LatencyProbe.ReaderResumed);
            // OnReadable may have read for this wait (the signal's completion orders its writes before this read).
            int completed = _completedRead;
            if (completed >= 0)
            {
                _completedRead = -1;
                LatencyProbe.Mark(_connection.IsServer, LatencyProbe.ReadReturned);
                return completed;
            }
        }
    }

    /// <summary>Under the lock: bytes read (0 at FIN), or -1 and the task to wait for.</summary>
    private (int, ValueTask) TryRead(Memory<byte> memory)
    {
        Span<byte> buffer = memory.Span;
        if (_readAborted) throw new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.None, $"Reading stream {Id} was aborted by this side.");
        if (_peerResetCode is { } code)
            throw new QuicException(QuicError.StreamAborted, code, null, ConnectionCloseSource.None, $"The peer reset stream {Id} (RESET_STREAM) with application error 0x{code:x}.");
        if (_readFinished) return (0, default);
        var core = _connection.Core;
        if (!_connection.IsCoreGone && !core.IsTerminated)
        {
            if (buffer.IsEmpty)
            {
                // A zero-byte read waits for data without consuming it (as Stream-over-socket readers expect).
                if (!core.PeekStream(Id, out bool f).IsEmpty || f) return (0, default);
            }
            else
            {
                int read = core.ReadStream(Id, buffer, out bool fin);
                if (fin) _readFinished = true;
                if (read > 0 || fin) return (read, default);
            }
        }
        _connection.ThrowIfClosed();
        ValueTask wait = ReadSignal.Arm("read");
        _pendingReadBuffer = memory;
        _completedRead = -1;
        return (-1, wait);
    }

    /// <summary>Queues <paramref name="buffer"/> for sending, waiting while the send buffer is full.</summary>
    /// <exception cref="QuicException">The peer sent STOP_SENDING (<see cref="QuicError.StreamStopped"/> with its code), this side aborted writing, or the connection closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; part of <paramref name="buffer"/> may have been queued.</exception>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteAsync(buffer, completeWrites: false, cancellationToken);

    /// <summary>Queues <paramref name="buffer"/>, and FIN after it when <paramref name="completeWrites"/> (one STREAM frame can carry both).</summary>
    /// <exception cref="QuicException">The peer sent STOP_SENDING, this side aborted writing, or the connection closed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, bool completeWrites, CancellationToken cancellationToken = default)
    {
        if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only.");
        ThrowIfDisposed();
        if (_writesCompleted && !_writeAborted) throw new InvalidOperationException($"Writes on stream {Id} were completed.");
        LatencyProbe.Mark(_connection.IsServer, LatencyProbe.WriteEntered);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (int written, bool done, ValueTask wait) = _connection.Pump.Invoke(_connection.Core, (this, buffer, completeWrites), static (_, s) => s.Item1.TryWrite(s.buffer.Span, s.completeWrites));
            if (done) return;
            buffer = buffer.Slice(written);
            // StreamWritable (an acknowledgment advanced the acknowledged prefix) or StreamSendCompleted wakes the writer;
            // both are raised under the same lock that saw the buffer full, so no wake-up is lost and no timeout is needed.
            if (written == 0)
            {
                using (WriteSignal.RegisterCancellation(cancellationToken))
                    await wait.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Under the lock: queues what fits (and FIN after the last byte when <paramref name="fin"/>); when nothing fits, the task to wait for.</summary>
    private (int Written, bool Done, ValueTask Wait) TryWrite(ReadOnlySpan<byte> data, bool fin)
    {
        ThrowIfCannotWrite();
        if (_writesCompleted) throw new InvalidOperationException($"Writes on stream {Id} were completed.");
        var core = _connection.Core;
        if (data.IsEmpty)
        {
            if (fin)
            {
                core.FinishStream(Id);
                _writesCompleted = true;
            }
            return (0, true, default);
        }
        long room = MaxBufferedSendBytes - core.GetStreamBufferedBytes(Id);
        if (room <= 0) return (0, false, WriteSignal.Arm("write"));
        int n = (int)Math.Min(Math.Min(room, data.Length), WriteChunk);
        bool last = fin && n == data.Length;
        core.WriteStream(Id, data.Slice(0, n), last);
        if (last) _writesCompleted = true;
        return (n, n == data.Length, default);
    }

    private void ThrowIfCannotWrite()
    {
        if (_writeAborted) throw new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.None, $"Writing stream {Id} was aborted by this side.");
        if (_peerStopSendingCode is { } code)
            throw new QuicException(QuicError.StreamStopped, code, null, ConnectionCloseSource.None, $"The peer stopped stream {Id} (STOP_SENDING) with application error 0x{code:x}.");
        _connection.ThrowIfClosed();
    }

    /// <summary>Ends the send side: FIN follows what was written (RFC 9000 §3.1). Does nothing the second time.</summary>
    /// <exception cref="QuicException">The peer sent STOP_SENDING, or the connection closed.</exception>
    public void CompleteWrites()
    {
        if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only.");
        ThrowIfDisposed();
        if (_writesCompleted) return;
        _connection.Pump.Invoke(_connection.Core, this, static (_, self) =>
        {
            if (self._writesCompleted) return 0;
            self.ThrowIfCannotWrite();
            self._connection.Core.FinishStream(self.Id);
            self._writesCompleted = true;
            return 0;
        });
    }

    /// <summary>
    /// The stream's send urgency, 0 (most urgent) to 7 (RFC 9218 §4.1 levels; default 3): the connection sends data of
    /// more urgent streams first and shares the path round-robin among streams of equal urgency. Local scheduling only;
    /// nothing is signalled to the peer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 0..7.</exception>
    /// <exception cref="InvalidOperationException">Set on a receive-only stream.</exception>
    public int Urgency
    {
        get => _urgency;
        set
        {
            if (!CanWrite) throw new InvalidOperationException($"Stream {Id} is receive-only: it has no send priority.");
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 7);
            ThrowIfDisposed();
            _connection.Pump.Invoke(_connection.Core, (this, value), static (_, s) =>
            {
                s.Item1._connection.Core.TrySetStreamUrgency(s.Item1.Id, s.value); // a released stream has nothing left to send
                return 0;
            });
            _urgency = value;
        }
    }

    private int _urgency = Connection.QuicConnectionCore.DefaultStreamUrgency;

    /// <summary>
    /// Aborts the stream: RESET_STREAM on the send side and/or STOP_SENDING on the receive side, with the application
    /// <paramref name="errorCode"/> (RFC 9000 §3.1, §3.5). Later reads or writes on an aborted side throw
    /// <see cref="QuicException"/> (<see cref="QuicError.OperationAborted"/>). Does nothing on a side already finished.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="errorCode"/> is over 2^62-1.</exception>
    public void Abort(QuicAbortDirection direction, ulong errorCode)
    {
        if (errorCode > Transport.Core.Wire.VarInt.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(errorCode), errorCode, "An error code is a QUIC varint: at most 2^62-1.");
        if ((direction & QuicAbortDirection.Both) == 0)
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "Choose Read, Write or Both.");
        if (_connection.IsDisposed) return;
        try
        {
            _connection.Pump.Invoke(_connection.Core, (this, direction, errorCode), static (_, s) => { s.Item1.AbortUnderLock(s.direction, s.errorCode); return 0; });
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void AbortUnderLock(QuicAbortDirection direction, ulong errorCode)
    {
        bool alive = !_connection.IsCoreGone && !_connection.Core.IsClosed;
        if ((direction & QuicAbortDirection.Write) != 0 && CanWrite && !_writeAborted)
        {
            if (alive && !_writesCompleted && _peerStopSendingCode is null) TryCore(static (c, id, code) => c.ResetStream(id, code), errorCode);
            _writeAborted = true;
            _writesCompleted = true;
            WriteSignal.Set();
        }
        if ((direction & QuicAbortDirection.Read) != 0 && CanRead && !_readAborted)
        {
            if (alive && !_readFinished && _peerResetCode is null) TryCore(static (c, id, code) => c.StopSending(id, code), errorCode);
            _readAborted = !_readFinished;
            ReadSignal.Set();
        }
    }

    /// <summary>
    /// Under the lock: a stream operation that may find the stream already gone from the core (both sides finished and
    /// released) or its side already terminal; then there is nothing left to do.
    /// </summary>
    private void TryCore(Action<QuicConnectionCore, long, ulong> action, ulong code)
    {
        try
        {
            action(_connection.Core, Id, code);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Data is handed to the connection on write; the connection sends it as pacing and congestion allow.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <inheritdoc/>
    public override void Flush() { }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A QUIC stream cannot seek.");

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("A QUIC stream has no length.");

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(QuicStream), $"Stream {Id} was disposed.");
        _connection.ThrowIfDisposed();
    }

    /// <summary>
    /// Like System.Net.Quic: a send side not yet completed is completed gracefully (FIN), a receive side not read to the
    /// end is aborted (STOP_SENDING, code 0). Never throws for a closed connection.
    /// </summary>
    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0 && !_connection.IsDisposed)
        {
            try
            {
                _connection.Pump.Invoke(_connection.Core, this, static (_, self) =>
                {
                    self._connection.ForgetStream(self.Id);
                    if (self._connection.IsCoreGone || self._connection.Core.IsClosed) return 0;
                    if (self.CanWrite && !self._writesCompleted && self._peerStopSendingCode is null)
                    {
                        self.TryCore(static (c, id, _) => c.FinishStream(id), 0);
                        self._writesCompleted = true;
                    }
                    if (self.CanRead && !self._readFinished && !self._readAborted && self._peerResetCode is null)
                    {
                        self.TryCore(static (c, id, code) => c.StopSending(id, code), 0);
                        self._readAborted = true;
                    }
                    self.ReadSignal.Set();
                    self.WriteSignal.Set();
                    return 0;
                });
            }
            catch (ObjectDisposedException)
            {
            }
        }
        base.Dispose(disposing);
    }
}
