using Transport.Reliable.FlowControl;

namespace Transport.Reliable.Streams;

/// <summary>
/// The send side of one stream: bytes the application wrote, handed out as segments for transmission, freed when
/// acknowledged, queued again when lost (RFC 9000 §13.3: lost stream data is sent again in new frames).
/// Independent of the wire layout: the caller turns a <see cref="StreamSegment"/> into a STREAM frame and copies its
/// bytes with <see cref="CopyTo"/>.
/// </summary>
/// <remarks>
/// <para>Written bytes are copied into pooled chunks; memory is returned once the acknowledged prefix moves past a
/// chunk. Out-of-order acknowledgements are tracked in a small range set.</para>
/// <para>Lost ranges are handed out before new data, and only the parts not acknowledged since. FIN is sent with the
/// last byte, or alone when the stream is finished after all its data was sent, and sent again if lost.</para>
/// <para>Not thread-safe: one connection owns it.</para>
/// </remarks>
public sealed class SendBuffer : IDisposable
{
    /// <summary>Default size of the pooled chunks that hold written bytes.</summary>
    public const int DefaultChunkSize = 4096;

    private const long MaxStreamOffset = (1L << 62) - 1; // RFC 9000 §19.8: offset + length cannot exceed 2^62 - 1

    private readonly ChunkedByteStore _store;
    private readonly ByteRangeSet _acked = new();
    private readonly ByteRangeSet _lost = new();
    private long _written;
    private long _sent;
    private long _finalSize = -1;
    private bool _finSent;
    private bool _finLost;
    private bool _finAcked;
    private bool _reset;

    /// <summary>Creates an empty send buffer with <see cref="DefaultChunkSize"/> chunks.</summary>
    public SendBuffer() : this(DefaultChunkSize) { }

    /// <summary>Creates an empty send buffer whose bytes live in pooled chunks of <paramref name="chunkSize"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is not positive.</exception>
    public SendBuffer(int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        _store = new ChunkedByteStore(chunkSize);
    }

    /// <summary>Total bytes the application wrote: the offset the next write starts at.</summary>
    public long WrittenOffset => _written;

    /// <summary>The highest offset handed out for transmission (new data is sent from here; RFC 9000 §4.1 credit used).</summary>
    public long SentOffset => _sent;

    /// <summary>Every byte below this offset is acknowledged (and its memory may be released).</summary>
    public long AcknowledgedOffset => _acked.PrefixEnd;

    /// <summary>Bytes held in memory: written but not yet part of the acknowledged prefix.</summary>
    public long BufferedBytes => _written - _acked.PrefixEnd;

    /// <summary>Bytes written but never handed out for transmission.</summary>
    public long UnsentBytes => _written - _sent;

    /// <summary>Bytes declared lost and waiting to be sent again.</summary>
    public long RetransmitBytes => _lost.TotalLength;

    /// <summary>Bytes handed out and neither acknowledged nor waiting for retransmission.</summary>
    public long InFlightBytes => _sent - _acked.TotalLength - _lost.TotalLength;

    /// <summary>The final size once <see cref="Finish"/> was called (RFC 9000 §4.5), otherwise null.</summary>
    public long? FinalSize => _finalSize >= 0 ? _finalSize : null;

    /// <summary>True once the application closed the stream with <see cref="Finish"/>.</summary>
    public bool IsFinished => _finalSize >= 0;

    /// <summary>True once FIN was handed out at least once.</summary>
    public bool IsFinSent => _finSent;

    /// <summary>True once a segment carrying FIN was acknowledged.</summary>
    public bool IsFinAcknowledged => _finAcked;

    /// <summary>True when every byte and the FIN are acknowledged (the "Data Recvd" state of RFC 9000 §3.1).</summary>
    public bool IsAllAcknowledged => _finAcked && _acked.PrefixEnd == _finalSize;

    /// <summary>True after <see cref="Reset"/>.</summary>
    public bool IsReset => _reset;

    /// <summary>True when a lost range or a lost FIN waits to be sent again (sending it needs no new credit).</summary>
    public bool HasRetransmission => !_reset && (_lost.Count > 0 || _finLost);

    /// <summary>True when <see cref="TryGetSegment(int, long, out StreamSegment)"/> has something to hand out given unlimited credit.</summary>
    public bool HasDataToSend => !_reset && (_lost.Count > 0 || _finLost || _written > _sent || (_finalSize >= 0 && !_finSent));

    /// <summary>Number of chunks held from the pool (diagnostics).</summary>
    internal int RentedChunks => _store.RentedChunks;

    /// <summary>Queues a copy of <paramref name="data"/> at the end of the stream.</summary>
    /// <exception cref="InvalidOperationException">The stream was finished or reset, or would exceed 2^62 - 1 bytes.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_reset) throw new InvalidOperationException("Cannot write to a stream that was reset.");
        if (_finalSize >= 0) throw new InvalidOperationException("Cannot write to a stream after Finish (FIN): its final size is fixed.");
        if (data.IsEmpty) return;
        if (data.Length > MaxStreamOffset - _written)
            throw new InvalidOperationException("A stream cannot carry more than 2^62 - 1 bytes (RFC 9000 §19.8).");
        _store.Write(_written, data);
        _written += data.Length;
    }

    /// <summary>Closes the stream: no more writes; its final size is <see cref="WrittenOffset"/> and FIN will be sent.</summary>
    /// <exception cref="InvalidOperationException">The stream was already finished or reset.</exception>
    public void Finish()
    {
        if (_reset) throw new InvalidOperationException("Cannot finish a stream that was reset.");
        if (_finalSize >= 0) throw new InvalidOperationException("The stream was already finished.");
        _finalSize = _written;
    }

    /// <summary>
    /// Hands out the next segment to transmit: lost data first (and a lost FIN), then new data. New data never goes
    /// past <paramref name="maxOffset"/>, the flow-control limit (the peer's MAX_STREAM_DATA, further reduced by the
    /// caller for connection credit); retransmissions stay below <see cref="SentOffset"/> and need no new credit.
    /// </summary>
    /// <param name="maxLength">The most bytes the packet has room for (0 allows only a FIN alone).</param>
    /// <param name="maxOffset">New data must end at or below this offset.</param>
    /// <param name="segment">The segment to send; copy its bytes with <see cref="CopyTo"/>.</param>
    /// <returns>False when there is nothing to send within these limits.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    public bool TryGetSegment(int maxLength, long maxOffset, out StreamSegment segment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOffset);
        segment = default;
        if (_reset) return false;

        // Lost data goes first (RFC 9000 §13.3), and only what was not acknowledged since.
        if (_lost.Count > 0 && maxLength > 0)
        {
            long start = _lost.StartAt(0);
            long end = Math.Min(_lost.EndAt(0), start + maxLength);
            _lost.Remove(start, end);
            bool fin = _finLost && end == _finalSize;
            if (fin) _finLost = false;
            segment = new StreamSegment(start, (int)(end - start), fin);
            return true;
        }

        // A lost FIN whose data is not waiting for retransmission goes alone.
        if (_finLost && (_lost.Count == 0 || _lost.EndAt(_lost.Count - 1) < _finalSize))
        {
            _finLost = false;
            segment = new StreamSegment(_finalSize, 0, Fin: true);
            return true;
        }

        // New data, within credit.
        long limit = Math.Min(_written, maxOffset);
        int length = limit > _sent ? (int)Math.Min(limit - _sent, maxLength) : 0;
        bool sendFin = _finalSize >= 0 && !_finSent && _sent + length == _finalSize;
        if (length == 0 && !sendFin) return false;
        segment = new StreamSegment(_sent, length, sendFin);
        _sent += length;
        if (sendFin) _finSent = true;
        return true;
    }

    /// <summary>
    /// Like <see cref="TryGetSegment(int, long, out StreamSegment)"/>, with the limit taken from the stream's and the
    /// connection's send credit; the new bytes handed out are charged to both (RFC 9000 §4.1).
    /// </summary>
    /// <param name="maxLength">The most bytes the packet has room for.</param>
    /// <param name="streamCredit">The peer's MAX_STREAM_DATA for this stream; its <see cref="SendCredit.Sent"/> must equal <see cref="SentOffset"/>.</param>
    /// <param name="connectionCredit">The peer's MAX_DATA for the connection.</param>
    /// <param name="segment">The segment to send.</param>
    /// <returns>False when there is nothing to send within these limits.</returns>
    public bool TryGetSegment(int maxLength, SendCredit streamCredit, SendCredit connectionCredit, out StreamSegment segment)
    {
        ArgumentNullException.ThrowIfNull(streamCredit);
        ArgumentNullException.ThrowIfNull(connectionCredit);
        if (streamCredit.Sent != _sent)
            throw new ArgumentException($"The stream credit has {streamCredit.Sent} bytes sent but the buffer {_sent}; one SendCredit per stream, charged only here.", nameof(streamCredit));
        long maxOffset = Math.Min(streamCredit.MaxData, _sent + connectionCredit.Available);
        long before = _sent;
        if (!TryGetSegment(maxLength, maxOffset, out segment)) return false;
        long newBytes = _sent - before;
        if (newBytes > 0)
        {
            streamCredit.OnSent(newBytes);
            connectionCredit.OnSent(newBytes);
        }
        return true;
    }

    /// <summary>Copies the written bytes at <c>[offset, offset + destination.Length)</c> into <paramref name="destination"/> (a packet buffer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not held: below <see cref="AcknowledgedOffset"/> or beyond <see cref="WrittenOffset"/>.</exception>
    /// <exception cref="InvalidOperationException">The stream was reset.</exception>
    public void CopyTo(long offset, Span<byte> destination)
    {
        if (_reset) throw new InvalidOperationException("The stream was reset; its bytes were dropped.");
        if (offset < _acked.PrefixEnd || offset > _written - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes [{offset}, {offset + destination.Length}) are not held: held are [{_acked.PrefixEnd}, {_written}).");
        _store.CopyTo(offset, destination);
    }

    /// <summary>A segment was acknowledged: its bytes are never sent again, and memory below the acknowledged prefix is released.</summary>
    /// <param name="offset">The segment's offset.</param>
    /// <param name="length">The segment's length.</param>
    /// <param name="fin">Whether the segment carried FIN.</param>
    /// <exception cref="ArgumentOutOfRangeException">The segment was never handed out.</exception>
    public void OnAcked(long offset, int length, bool fin)
    {
        if (_reset) return; // late acknowledgements of a reset stream do not matter
        ValidateSentSegment(offset, length, fin);
        long end = offset + length;
        _acked.Add(offset, end);
        _lost.Remove(offset, end);
        if (fin)
        {
            _finAcked = true;
            _finLost = false;
        }
        long prefix = _acked.PrefixEnd;
        if (prefix == _finalSize) _store.Clear(prefix); // every byte acknowledged and no more can be written
        else _store.ReleaseBefore(prefix);
    }

    /// <summary>
    /// Every written byte is acknowledged: gives the partly filled last chunk back to the pool (writing again rents one).
    /// For a buffer that carries rare messages (a CRYPTO stream after the handshake) and would otherwise hold a chunk
    /// for the connection's life; not for a stream's hot path, where it would return and rent a chunk per message.
    /// </summary>
    public void ReleaseStorageIfAllAcknowledged()
    {
        if (!_reset && _acked.PrefixEnd == _written && _store.RentedChunks > 0) _store.Clear(_written);
    }

    /// <summary>A segment was declared lost: the parts not acknowledged are queued to be sent again, ahead of new data.</summary>
    /// <param name="offset">The segment's offset.</param>
    /// <param name="length">The segment's length.</param>
    /// <param name="fin">Whether the segment carried FIN.</param>
    /// <exception cref="ArgumentOutOfRangeException">The segment was never handed out.</exception>
    public void OnLost(long offset, int length, bool fin)
    {
        if (_reset) return; // RFC 9000 §3.1: after RESET_STREAM, no more data is sent
        ValidateSentSegment(offset, length, fin);
        long cursor = offset, end = offset + length;
        int i = _acked.FirstEndingAfter(cursor);
        while (cursor < end)
        {
            long nextAcked = i < _acked.Count ? _acked.StartAt(i) : long.MaxValue;
            if (nextAcked > cursor)
            {
                long gapEnd = Math.Min(nextAcked, end);
                _lost.Add(cursor, gapEnd);
                cursor = gapEnd;
            }
            else
            {
                cursor = _acked.EndAt(i);
                i++;
            }
        }
        if (fin && !_finAcked) _finLost = true;
    }

    /// <summary>
    /// Abandons the stream (the application's reset): drops every byte and stops sending. Returns the final size to
    /// put in RESET_STREAM: the flow-control credit consumed, i.e. <see cref="SentOffset"/> (RFC 9000 §4.5).
    /// Calling it again returns the same value.
    /// </summary>
    public long Reset()
    {
        if (!_reset)
        {
            _reset = true;
            _store.Clear();
            _acked.Clear();
            _lost.Clear();
            _finLost = false;
        }
        return _sent;
    }

    /// <summary>Returns the pooled memory; the buffer behaves as reset afterwards.</summary>
    public void Dispose() => Reset();

    private void ValidateSentSegment(long offset, int length, bool fin)
    {
        if (offset < 0 || length < 0 || offset > _sent - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Segment [{offset}, {offset + length}) was never sent: sent is [0, {_sent}).");
        if (fin && (!_finSent || offset + length != _finalSize))
            throw new ArgumentException($"Segment [{offset}, {offset + length}) cannot carry FIN: the final size is {FinalSize?.ToString() ?? "unknown"}{(_finSent ? "" : " and FIN was not sent")}.", nameof(fin));
    }
}
