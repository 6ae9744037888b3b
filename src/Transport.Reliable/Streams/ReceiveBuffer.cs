namespace Transport.Reliable.Streams;

/// <summary>
/// The receive side of one stream: reassembles (offset, bytes, fin) segments arriving in any order, duplicated or
/// overlapping, into the in-order byte stream the application reads. Enforces the final-size rules of RFC 9000 §4.5
/// and the receiver's flow-control limit (§4.1); peer input never throws, it returns a <see cref="ReceiveResult"/>.
/// </summary>
/// <remarks>
/// <para>Bytes are stored in pooled chunks by offset; memory is bounded by the limit the caller passes (its advertised
/// MAX_STREAM_DATA) and released as the application reads. Where segments overlap the first copy wins: RFC 9000 §2.2
/// requires identical data and allows discarding the overlap, which is not compared.</para>
/// <para>Not thread-safe: one connection owns it.</para>
/// </remarks>
public sealed class ReceiveBuffer : IDisposable
{
    /// <summary>Default size of the pooled chunks that hold received bytes.</summary>
    public const int DefaultChunkSize = 4096;

    private const long MaxStreamOffset = (1L << 62) - 1; // RFC 9000 §19.8

    private readonly ChunkedByteStore _store;
    private readonly ByteRangeSet _received = new();
    private long _readOffset;
    private long _highest;
    private long _finalSize = -1;
    private bool _reset;

    /// <summary>Creates an empty receive buffer with <see cref="DefaultChunkSize"/> chunks.</summary>
    public ReceiveBuffer() : this(DefaultChunkSize) { }

    /// <summary>Creates an empty receive buffer whose bytes live in pooled chunks of <paramref name="chunkSize"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is not positive.</exception>
    public ReceiveBuffer(int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        _store = new ChunkedByteStore(chunkSize);
    }

    /// <summary>Bytes the application has read (consumed); the next read starts here.</summary>
    public long ReadOffset => _readOffset;

    /// <summary>The largest offset received so far (RFC 9000 §4.5; what counts against connection flow control).</summary>
    public long HighestReceivedOffset => _highest;

    /// <summary>The final size once a FIN or RESET_STREAM fixed it, otherwise null.</summary>
    public long? FinalSize => _finalSize >= 0 ? _finalSize : null;

    /// <summary>Bytes ready to read in order from <see cref="ReadOffset"/>.</summary>
    public long ReadableBytes => _reset ? 0 : _received.PrefixEnd - _readOffset;

    /// <summary>Received bytes held in memory, in order or not, not yet read.</summary>
    public long BufferedBytes => _reset ? 0 : _received.TotalLength - _readOffset;

    /// <summary>True when the final size is known and every byte up to it arrived (the "Data Recvd" state, RFC 9000 §3.2).</summary>
    public bool IsAllDataReceived => !_reset && _finalSize >= 0 && _received.PrefixEnd == _finalSize;

    /// <summary>True when the application read every byte up to a known final size: the FIN is delivered.</summary>
    public bool IsFinished => !_reset && _finalSize >= 0 && _readOffset == _finalSize;

    /// <summary>True after the peer reset the stream (<see cref="OnReset"/>) or the buffer was disposed.</summary>
    public bool IsReset => _reset;

    /// <summary>Number of chunks held from the pool (diagnostics).</summary>
    internal int RentedChunks => _store.RentedChunks;

    /// <summary>Handles a STREAM frame's data without reporting how the highest offset moved.</summary>
    /// <inheritdoc cref="Receive(long, ReadOnlySpan{byte}, bool, long, out long)"/>
    public ReceiveResult Receive(long offset, ReadOnlySpan<byte> data, bool fin, long maxOffset) =>
        Receive(offset, data, fin, maxOffset, out _);

    /// <summary>
    /// Handles a STREAM frame's data: checks the final-size and flow-control rules, then stores the bytes not seen before.
    /// On an error nothing changes.
    /// </summary>
    /// <param name="offset">The frame's offset.</param>
    /// <param name="data">The frame's bytes.</param>
    /// <param name="fin">Whether the frame carries FIN (its end is the final size).</param>
    /// <param name="maxOffset">The flow-control limit this receiver advertised for the stream (MAX_STREAM_DATA).</param>
    /// <param name="highestOffsetIncrease">How far <see cref="HighestReceivedOffset"/> moved: the bytes to charge to connection-level flow control (RFC 9000 §4.1).</param>
    /// <returns><see cref="ReceiveResult.Ok"/>, or the connection error to close with.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative <paramref name="offset"/> or <paramref name="maxOffset"/> (a codec never produces one).</exception>
    public ReceiveResult Receive(long offset, ReadOnlySpan<byte> data, bool fin, long maxOffset, out long highestOffsetIncrease)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOffset);
        highestOffsetIncrease = 0;

        // RFC 9000 §19.8: offset + length beyond 2^62 - 1 is a FLOW_CONTROL_ERROR (or FRAME_ENCODING_ERROR).
        if (offset > MaxStreamOffset - data.Length) return ReceiveResult.FlowControlError;
        long end = offset + data.Length;

        ReceiveResult finalSizeCheck = CheckFinalSize(end, fin);
        if (finalSizeCheck != ReceiveResult.Ok) return finalSizeCheck;
        if (end > maxOffset) return ReceiveResult.FlowControlError; // RFC 9000 §4.1

        if (end > _highest)
        {
            highestOffsetIncrease = end - _highest;
            _highest = end;
        }
        if (fin)
        {
            _finalSize = end;
            if (_readOffset == end) _store.Clear(end); // everything was read before the FIN arrived
        }
        if (_reset || end <= _readOffset) return ReceiveResult.Ok;

        // Store only the parts not received before (the first copy wins).
        long start = Math.Max(offset, _readOffset);
        long cursor = start;
        int i = _received.FirstEndingAfter(cursor);
        while (cursor < end)
        {
            long nextReceived = i < _received.Count ? _received.StartAt(i) : long.MaxValue;
            if (nextReceived > cursor)
            {
                long gapEnd = Math.Min(nextReceived, end);
                _store.Write(cursor, data.Slice((int)(cursor - offset), (int)(gapEnd - cursor)));
                cursor = gapEnd;
            }
            else
            {
                cursor = _received.EndAt(i);
                i++;
            }
        }
        _received.Add(start, end);
        return ReceiveResult.Ok;
    }

    /// <summary>
    /// Handles RESET_STREAM: checks its final size like a FIN's (RFC 9000 §4.5) and against the flow-control limit,
    /// then drops every buffered byte. A repeated RESET_STREAM with the same final size is accepted and changes nothing.
    /// </summary>
    /// <param name="finalSize">The frame's final size.</param>
    /// <param name="maxOffset">The flow-control limit this receiver advertised for the stream.</param>
    /// <param name="highestOffsetIncrease">How far <see cref="HighestReceivedOffset"/> moved (to charge to connection flow control).</param>
    /// <param name="releasedBytes">Bytes up to the final size the application will now never read: connection-level credit the caller may release as if consumed.</param>
    /// <returns><see cref="ReceiveResult.Ok"/>, or the connection error to close with.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    public ReceiveResult OnReset(long finalSize, long maxOffset, out long highestOffsetIncrease, out long releasedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(finalSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOffset);
        highestOffsetIncrease = 0;
        releasedBytes = 0;
        if (finalSize > MaxStreamOffset) return ReceiveResult.FlowControlError;

        ReceiveResult finalSizeCheck = CheckFinalSize(finalSize, fin: true);
        if (finalSizeCheck != ReceiveResult.Ok) return finalSizeCheck;
        if (finalSize > maxOffset) return ReceiveResult.FlowControlError; // RFC 9000 §4.5: the final size counts against flow control
        if (_reset) return ReceiveResult.Ok;

        highestOffsetIncrease = finalSize - _highest;
        _highest = finalSize;
        _finalSize = finalSize;
        releasedBytes = finalSize - _readOffset;
        _reset = true;
        _store.Clear();
        _received.Clear();
        return ReceiveResult.Ok;
    }

    /// <summary>Copies in-order bytes into <paramref name="destination"/>; returns how many (0 when none are ready). They count as consumed.</summary>
    public int Read(Span<byte> destination)
    {
        if (_reset) return 0;
        int n = (int)Math.Min(destination.Length, _received.PrefixEnd - _readOffset);
        if (n <= 0) return 0;
        _store.CopyTo(_readOffset, destination[..n]);
        Consume(n);
        return n;
    }

    /// <summary>
    /// The next in-order bytes without copying: a view into the buffer from <see cref="ReadOffset"/>, up to the end of
    /// the contiguous data or of one internal chunk (empty when nothing is ready). Valid until the next call that changes
    /// the buffer; call <see cref="Consume"/> to mark bytes read.
    /// </summary>
    public ReadOnlySpan<byte> PeekContiguous() =>
        _reset ? default : _store.GetContiguous(_readOffset, _received.PrefixEnd);

    /// <summary>Marks <paramref name="count"/> in-order bytes as read (after <see cref="PeekContiguous"/>) and releases their memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or more than <see cref="ReadableBytes"/>.</exception>
    public void Consume(int count)
    {
        if (count < 0 || count > ReadableBytes)
            throw new ArgumentOutOfRangeException(nameof(count), $"Cannot consume {count} bytes: {ReadableBytes} are readable.");
        _readOffset += count;
        if (_readOffset == _finalSize) _store.Clear(_readOffset); // FIN delivered: nothing more will be stored
        else _store.ReleaseBefore(_readOffset);
    }

    /// <summary>
    /// Every received byte was read (nothing buffered, nothing out of order): gives the partly filled chunk back to the
    /// pool (receiving again rents one). For a buffer that carries rare messages (a CRYPTO stream after the handshake);
    /// not for a stream's hot path, where it would return and rent a chunk per message.
    /// </summary>
    public void ReleaseStorageIfEmpty()
    {
        if (!_reset && _received.TotalLength == _readOffset && _received.PrefixEnd == _readOffset && _store.RentedChunks > 0) _store.Clear(_readOffset);
    }

    /// <summary>Returns the pooled memory; the buffer reads nothing more afterwards.</summary>
    public void Dispose()
    {
        _reset = true;
        _store.Clear();
        _received.Clear();
    }

    // RFC 9000 §4.5: once known, the final size cannot change; no data at or beyond it; a final size cannot be below
    // data already received.
    private ReceiveResult CheckFinalSize(long end, bool fin)
    {
        if (_finalSize >= 0)
        {
            if (fin ? end != _finalSize : end > _finalSize) return ReceiveResult.FinalSizeError;
        }
        else if (fin && end < _highest)
        {
            return ReceiveResult.FinalSizeError;
        }
        return ReceiveResult.Ok;
    }
}
