using Transport.Reliable.Streams;

namespace Transport.Quic.Connection;

// Streams (RFC 9000 §2, §3): the application's operations, the peer's stream frames, and stream lifetimes.
public sealed partial class QuicConnectionCore
{
    private readonly Dictionary<long, StreamState> _streams = new();
    private readonly Queue<StreamState> _sendQueue = new();
    private readonly Queue<StreamState> _controlQueue = new();
    private long _nextLocalBidiIndex, _nextLocalUniIndex;
    private long _peerOpenedBidi, _peerOpenedUni; // how many of the peer's streams of each type exist or existed
    private long _peerClosedBidi, _peerClosedUni;

    /// <summary>How many more streams of the kind this endpoint may open now (the peer's MAX_STREAMS).</summary>
    public long GetAvailableStreamCount(bool bidirectional) =>
        bidirectional ? _peerMaxStreamsBidi - _nextLocalBidiIndex : _peerMaxStreamsUni - _nextLocalUniIndex;

    /// <summary>
    /// Opens a stream (RFC 9000 §2.1) if the peer's stream limit allows; nothing is sent until data, FIN or a reset is.
    /// When the limit is reached, returns false and tells the peer with STREAMS_BLOCKED; a
    /// <see cref="ConnectionEventKind.StreamsAvailable"/> event follows when it raises the limit.
    /// </summary>
    /// <exception cref="InvalidOperationException">The handshake has not completed (client without early data; server before <see cref="ConnectionEventKind.HalfRttReady"/>), or the connection is closed.</exception>
    public bool TryOpenStream(bool bidirectional, out long streamId)
    {
        streamId = -1;
        ThrowIfClosed();
        if (!(_handshakeComplete || CanSendEarlyData || IsServer && CanSendOneRtt) || _peerParameters is null)
            throw new InvalidOperationException("Streams can be opened once the handshake has completed (or, on a client, while early data may be sent; on a server, after its first flight).");
        ref long next = ref bidirectional ? ref _nextLocalBidiIndex : ref _nextLocalUniIndex;
        long max = bidirectional ? _peerMaxStreamsBidi : _peerMaxStreamsUni;
        if (next >= max)
        {
            if (bidirectional) _streamsBlockedBidiPending = true; else _streamsBlockedUniPending = true;
            return false;
        }
        streamId = StreamIds.FromIndex(next++, StreamIds.Type(IsServer, !bidirectional));
        var stream = new StreamState(streamId, isLocal: true, NewStreamSendCredit(streamId, true), bidirectional ? NewStreamReceiveWindow() : null);
        _streams.Add(streamId, stream);
        return true;
    }

    /// <summary>Queues <paramref name="data"/> on the stream's send side, and FIN after it when <paramref name="fin"/>.</summary>
    /// <exception cref="ArgumentException">No such stream, or one this endpoint cannot send on.</exception>
    /// <exception cref="InvalidOperationException">The send side was finished or reset, or the connection is closed.</exception>
    public void WriteStream(long streamId, ReadOnlySpan<byte> data, bool fin = false)
    {
        ThrowIfClosed();
        var stream = GetSendStream(streamId);
        if (stream.ResetSent) throw new InvalidOperationException($"Stream {streamId} was reset; nothing more can be written.");
        stream.Send!.Write(data);
        if (fin) stream.Send.Finish();
        stream.WritableReported = false;
        Schedule(stream);
    }

    /// <summary>The urgency a stream gets when opened (RFC 9218 §4.1: 0 is the most urgent, 7 the least).</summary>
    public const int DefaultStreamUrgency = 3;

    /// <summary>
    /// Sets a stream's send priority: data of streams with a lower <paramref name="urgency"/> is sent first (retransmissions
    /// still go before new data), and streams of equal urgency share the path round-robin. The levels follow RFC 9218
    /// §4.1 (0..7, default 3); they are local scheduling only and are not signalled to the peer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="urgency"/> is outside 0..7.</exception>
    /// <exception cref="ArgumentException">No such stream, or one this endpoint cannot send on.</exception>
    public void SetStreamUrgency(long streamId, int urgency)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(urgency);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(urgency, 7);
        GetSendStream(streamId).Urgency = urgency;
    }

    /// <summary>Like <see cref="SetStreamUrgency"/>, but false (nothing to do) when the stream is already released.</summary>
    internal bool TrySetStreamUrgency(long streamId, int urgency)
    {
        if (!_streams.TryGetValue(streamId, out var stream) || stream.Send is null) return false;
        stream.Urgency = urgency;
        return true;
    }

    /// <summary>Ends the stream's send side: FIN follows the data written.</summary>
    /// <exception cref="ArgumentException">No such stream, or one this endpoint cannot send on.</exception>
    /// <exception cref="InvalidOperationException">Already finished or reset, or the connection is closed.</exception>
    public void FinishStream(long streamId) => WriteStream(streamId, default, fin: true);

    /// <summary>
    /// Asks for <see cref="ConnectionEventKind.StreamWritable"/> again at the next advance of the acknowledged prefix
    /// (it is raised once per write otherwise): for an application that waits until more room than that is free.
    /// </summary>
    internal void RearmStreamWritable(long streamId)
    {
        if (_streams.TryGetValue(streamId, out var stream)) stream.WritableReported = false;
    }

    /// <summary>Bytes written to the stream and not yet acknowledged (for the application's back-pressure).</summary>
    /// <exception cref="ArgumentException">No such stream, or one this endpoint cannot send on.</exception>
    public long GetStreamBufferedBytes(long streamId) => GetSendStream(streamId).Send!.BufferedBytes;

    /// <summary>
    /// Reads in-order bytes of the stream into <paramref name="destination"/>. <paramref name="finished"/> becomes true
    /// once every byte up to the FIN was read. Returns 0 when nothing is ready (wait for <see cref="ConnectionEventKind.StreamReadable"/>),
    /// or when the stream is unknown or finished (then <paramref name="finished"/> is true) or reset by the peer.
    /// </summary>
    /// <exception cref="ArgumentException">A stream this endpoint can only send on.</exception>
    public int ReadStream(long streamId, Span<byte> destination, out bool finished)
    {
        finished = false;
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            if (IsLocalStream(streamId) && StreamIds.IsUnidirectional(streamId))
                throw new ArgumentException($"Stream {streamId} is a unidirectional stream this endpoint opened: it cannot be read.", nameof(streamId));
            finished = true;
            return 0;
        }
        if (stream.Receive is not { } receive) throw new ArgumentException($"Stream {streamId} is send-only on this side.", nameof(streamId));
        int n = receive.Read(destination);
        _statStreamBytesRead += n;
        stream.ReadableReported = false;
        OnStreamBytesConsumed(stream, n);
        finished = receive.IsFinished;
        TryReleaseStream(stream);
        return n;
    }

    /// <summary>
    /// The next in-order bytes of the stream without copying (empty when none are ready): valid until the next call
    /// into the connection. Mark what was used with <see cref="ConsumeStream"/>. Suits <c>PipeWriter</c>-style readers.
    /// </summary>
    /// <exception cref="ArgumentException">A stream this endpoint can only send on.</exception>
    public ReadOnlySpan<byte> PeekStream(long streamId, out bool finished)
    {
        finished = false;
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            if (IsLocalStream(streamId) && StreamIds.IsUnidirectional(streamId))
                throw new ArgumentException($"Stream {streamId} is a unidirectional stream this endpoint opened: it cannot be read.", nameof(streamId));
            finished = true; // unknown here: finished and released (or never opened)
            return default;
        }
        if (stream.Receive is not { } receive) throw new ArgumentException($"Stream {streamId} is send-only on this side.", nameof(streamId));
        finished = receive.IsFinished;
        return receive.PeekContiguous();
    }

    /// <summary>Marks <paramref name="count"/> bytes returned by <see cref="PeekStream"/> as read (flow-control credit goes back to the peer).</summary>
    /// <exception cref="ArgumentException">No such stream, one this endpoint can only send on, or more bytes than are readable.</exception>
    public void ConsumeStream(long streamId, int count)
    {
        if (!_streams.TryGetValue(streamId, out var stream) || stream.Receive is not { } receive)
            throw new ArgumentException($"Stream {streamId} is not open for reading.", nameof(streamId));
        if (count < 0 || count > receive.ReadableBytes)
            throw new ArgumentException($"Cannot consume {count} bytes: {receive.ReadableBytes} are readable.", nameof(count));
        receive.Consume(count);
        _statStreamBytesRead += count;
        stream.ReadableReported = false;
        OnStreamBytesConsumed(stream, count);
        TryReleaseStream(stream);
    }

    /// <summary>Abandons the stream's send side (RFC 9000 §3.1): RESET_STREAM with <paramref name="errorCode"/> replaces the unsent data.</summary>
    /// <exception cref="ArgumentException">No such stream, or one this endpoint cannot send on, or a code over 2^62-1.</exception>
    public void ResetStream(long streamId, ulong errorCode)
    {
        CheckVarInt(errorCode);
        ThrowIfClosed();
        var stream = GetSendStream(streamId);
        ResetSendSide(stream, errorCode);
    }

    /// <summary>Asks the peer to stop sending on the stream (STOP_SENDING with <paramref name="errorCode"/>); received data is discarded.</summary>
    /// <exception cref="ArgumentException">No such stream, one this endpoint cannot read, or a code over 2^62-1.</exception>
    public void StopSending(long streamId, ulong errorCode)
    {
        CheckVarInt(errorCode);
        ThrowIfClosed();
        if (!_streams.TryGetValue(streamId, out var stream)) throw new ArgumentException($"Stream {streamId} is not open.", nameof(streamId));
        if (stream.Receive is null) throw new ArgumentException($"Stream {streamId} is send-only on this side.", nameof(streamId));
        if (stream.StopSendingSent || stream.IsReceiveTerminal) return;
        stream.StopSendingSent = true;
        stream.StopSendingPending = true;
        stream.StopSendingErrorCode = errorCode;
        ScheduleControl(stream);
    }

    private void ResetSendSide(StreamState stream, ulong errorCode)
    {
        if (stream.ResetSent || (stream.Send!.IsAllAcknowledged)) return;
        stream.ResetSent = true;
        stream.ResetPending = true;
        stream.ResetErrorCode = errorCode;
        stream.ResetFinalSize = stream.Send.Reset();
        ScheduleControl(stream);
    }

    private static void CheckVarInt(ulong code)
    {
        if (code > Transport.Core.Wire.VarInt.MaxValue) throw new ArgumentException($"Error code {code} exceeds 2^62-1.", nameof(code));
    }

    private bool IsLocalStream(long id) => StreamIds.IsServerInitiated(id) == IsServer;

    private StreamState GetSendStream(long streamId)
    {
        if (!_streams.TryGetValue(streamId, out var stream)) throw new ArgumentException($"Stream {streamId} is not open.", nameof(streamId));
        if (stream.Send is null) throw new ArgumentException($"Stream {streamId} is receive-only on this side.", nameof(streamId));
        return stream;
    }

    private void Schedule(StreamState stream)
    {
        if (stream.IsScheduled) return;
        stream.IsScheduled = true;
        _sendQueue.Enqueue(stream);
    }

    private readonly HashSet<StreamState> _controlQueued = new();

    private void ScheduleControl(StreamState stream)
    {
        if (_controlQueued.Add(stream)) _controlQueue.Enqueue(stream);
    }

    /// <summary>
    /// Finds the stream a frame refers to, opening peer streams up to it (RFC 9000 §3.2: lower-numbered streams of the
    /// same type open implicitly). Null with NoError for a stream that existed and was released (frame ignored), null with
    /// an error for a violation.
    /// </summary>
    private StreamState? GetStreamForFrame(long id, bool peerSends, out TransportErrorCode error, out string? reason)
    {
        error = TransportErrorCode.NoError;
        reason = null;
        bool local = IsLocalStream(id);
        bool uni = StreamIds.IsUnidirectional(id);
        // RFC 9000 §19.8, §19.4, §19.10: frames that need a direction the stream does not have.
        if (uni && local && peerSends)
        {
            error = TransportErrorCode.StreamStateError;
            reason = "Data or a reset for a send-only stream.";
            return null;
        }
        if (uni && !local && !peerSends)
        {
            error = TransportErrorCode.StreamStateError;
            reason = "MAX_STREAM_DATA or STOP_SENDING for a receive-only stream.";
            return null;
        }
        if (_streams.TryGetValue(id, out var existing)) return existing;
        long index = StreamIds.Index(id);
        if (local)
        {
            long opened = uni ? _nextLocalUniIndex : _nextLocalBidiIndex;
            if (index >= opened)
            {
                error = TransportErrorCode.StreamStateError; // RFC 9000 §19.8: a stream not yet created by us
                reason = "A frame for a locally initiated stream that was not opened.";
            }
            return null;
        }
        ref long peerOpened = ref uni ? ref _peerOpenedUni : ref _peerOpenedBidi;
        if (index < peerOpened) return null; // released already
        long limit = uni ? _localMaxStreamsUni : _localMaxStreamsBidi;
        if (index >= limit)
        {
            error = TransportErrorCode.StreamLimitError; // RFC 9000 §4.6
            reason = "The peer opened more streams than allowed.";
            return null;
        }
        StreamState? result = null;
        for (long i = peerOpened; i <= index; i++)
        {
            long sid = StreamIds.FromIndex(i, StreamIds.Type(!IsServer, uni));
            var s = new StreamState(sid, isLocal: false, uni ? null : NewStreamSendCredit(sid, false), NewStreamReceiveWindow());
            _streams.Add(sid, s);
            Emit(ConnectionEventKind.StreamOpened, sid);
            result = s;
        }
        peerOpened = index + 1;
        return result;
    }

    /// <summary>Forgets a stream whose both halves are finished; a peer's stream gives back one unit of MAX_STREAMS (RFC 9000 §4.6).</summary>
    private void TryReleaseStream(StreamState stream)
    {
        if (!stream.IsSendTerminal || !stream.IsReceiveTerminal) return;
        if (stream.HasSomethingToSend) return;
        if (!_streams.Remove(stream.Id)) return;
        // Unread bytes of a finished receive side still count as consumed for connection flow control.
        if (stream.Receive is { } r && r.FinalSize is long final && final > r.ReadOffset && !stream.ResetReceived)
            OnStreamBytesConsumed(stream, final - r.ReadOffset);
        stream.Send?.Dispose();
        stream.Receive?.Dispose();
        if (!stream.IsLocal)
        {
            if (StreamIds.IsUnidirectional(stream.Id)) { _peerClosedUni++; _localMaxStreamsUni++; _maxStreamsUniPending = true; }
            else { _peerClosedBidi++; _localMaxStreamsBidi++; _maxStreamsBidiPending = true; }
        }
    }

    private void CheckSendCompleted(StreamState stream)
    {
        if (stream.Send is { IsAllAcknowledged: true } && !stream.SendCompletedReported && !stream.ResetSent)
        {
            stream.SendCompletedReported = true;
            Emit(ConnectionEventKind.StreamSendCompleted, stream.Id);
        }
    }
}
