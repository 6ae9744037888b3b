using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Parameters;

namespace Transport.Quic.Qlog;

/// <summary>
/// A reusable summary of the frames in one packet, for the <c>frames</c> array of <c>transport:packet_sent</c>,
/// <c>transport:packet_received</c> and <c>recovery:packet_lost</c>. The connection appends a descriptor per frame as it
/// builds or parses a packet, then passes the list to <see cref="QlogWriter"/>, which serializes it and clears it.
/// </summary>
/// <remarks>
/// Descriptors are stored in arrays that grow to the largest packet seen and are then reused: appending allocates
/// nothing in steady state. Only lengths are recorded for STREAM, CRYPTO and DATAGRAM payloads and for NEW_TOKEN
/// tokens; their bytes are never logged. The list obtained from <see cref="QlogWriter.Frames"/> of a disabled writer
/// (<see cref="QlogWriter.Null"/>, or one that failed) ignores every call, so a connection may fill it unconditionally;
/// checking <see cref="QlogWriter.IsEnabled"/> first saves even the calls. Not thread-safe: one connection, one thread.
/// </remarks>
public sealed class QlogFrameList
{
    private QlogFrame[] _frames = new QlogFrame[16];
    private ulong[] _numbers = new ulong[64];
    private byte[] _bytes = new byte[256];
    private int _count;
    private int _numberCount;
    private int _byteCount;
    private int _openAck = -1;

    /// <summary>Creates an empty, enabled list.</summary>
    public QlogFrameList()
    {
    }

    private QlogFrameList(bool enabled) => IsEnabled = enabled;

    /// <summary>A list that ignores every call (used by disabled writers).</summary>
    internal static QlogFrameList CreateDisabled() => new(enabled: false);

    /// <summary>False when the list ignores every call (the list of a disabled <see cref="QlogWriter"/>).</summary>
    public bool IsEnabled { get; private set; } = true;

    /// <summary>How many frames are recorded.</summary>
    public int Count => _count;

    internal ReadOnlySpan<QlogFrame> Frames => _frames.AsSpan(0, _count);

    internal ReadOnlySpan<ulong> Numbers => _numbers.AsSpan(0, _numberCount);

    internal ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _byteCount);

    /// <summary>Forgets every recorded frame, keeping the storage.</summary>
    public void Clear()
    {
        if (_count == 0 && _numberCount == 0 && _byteCount == 0) return;
        Array.Clear(_frames, 0, _count); // drops string references
        _count = 0;
        _numberCount = 0;
        _byteCount = 0;
        _openAck = -1;
    }

    internal void Disable()
    {
        Clear();
        IsEnabled = false;
    }

    /// <summary>PADDING: <paramref name="length"/> bytes of consecutive PADDING frames, logged as one frame.</summary>
    public void AddPadding(int length)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.Padding);
        f.A = (ulong)Math.Max(0, length);
    }

    /// <summary>PING.</summary>
    public void AddPing()
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.Ping);
    }

    /// <summary>
    /// ACK with the given delay and ranges (any order), and ECN counts when the frame carries them (type 0x03).
    /// </summary>
    public void AddAck(TimeSpan ackDelay, ReadOnlySpan<AckRange> ranges, EcnCounts? ecnCounts = null)
    {
        if (!IsEnabled) return;
        BeginAck(ackDelay, ecnCounts);
        foreach (var range in ranges) AddAckRange(range.Smallest, range.Largest);
    }

    /// <summary>
    /// Starts an ACK frame whose ranges follow through <see cref="AddAckRange"/> (handy when the ranges come from an
    /// enumerator rather than a span). The ACK stays open for ranges until another frame is added.
    /// </summary>
    public void BeginAck(TimeSpan ackDelay, EcnCounts? ecnCounts = null)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.Ack);
        f.A = (ulong)Math.Max(0, ackDelay.Ticks);
        if (ecnCounts is { } ecn)
        {
            f.Flag = true;
            int at = ReserveNumbers(3);
            _numbers[at] = ecn.Ect0;
            _numbers[at + 1] = ecn.Ect1;
            _numbers[at + 2] = ecn.Ce;
            f.BytesStart = at; // index of the ECN counts in the number pool
        }
        f.B = (ulong)_numberCount; // first range
        f.C = 0; // range count
        _openAck = _count - 1;
    }

    /// <summary>Adds an acknowledged range, smallest to largest inclusive, to the ACK opened by <see cref="BeginAck"/>.</summary>
    /// <exception cref="InvalidOperationException">No ACK is open (the last frame added is not an ACK).</exception>
    /// <exception cref="ArgumentException"><paramref name="smallest"/> exceeds <paramref name="largest"/>.</exception>
    public void AddAckRange(ulong smallest, ulong largest)
    {
        if (!IsEnabled) return;
        if (_openAck < 0)
            throw new InvalidOperationException("AddAckRange needs an ACK opened by BeginAck (or AddAck) as the last frame added.");
        if (smallest > largest)
            throw new ArgumentException($"An ACK range's smallest packet number ({smallest}) exceeds its largest ({largest}).", nameof(smallest));
        int at = ReserveNumbers(2);
        _numbers[at] = smallest;
        _numbers[at + 1] = largest;
        _frames[_openAck].C++;
    }

    /// <summary>RESET_STREAM.</summary>
    public void AddResetStream(ulong streamId, ulong applicationErrorCode, ulong finalSize)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.ResetStream);
        f.A = streamId;
        f.B = applicationErrorCode;
        f.C = finalSize;
    }

    /// <summary>STOP_SENDING.</summary>
    public void AddStopSending(ulong streamId, ulong applicationErrorCode)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.StopSending);
        f.A = streamId;
        f.B = applicationErrorCode;
    }

    /// <summary>CRYPTO carrying <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public void AddCrypto(ulong offset, ulong length)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.Crypto);
        f.A = offset;
        f.B = length;
    }

    /// <summary>NEW_TOKEN with a token of <paramref name="tokenLength"/> bytes (the token itself is not logged).</summary>
    public void AddNewToken(int tokenLength)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.NewToken);
        f.A = (ulong)Math.Max(0, tokenLength);
    }

    /// <summary>STREAM carrying <paramref name="length"/> bytes at <paramref name="offset"/>, with the FIN bit.</summary>
    public void AddStream(ulong streamId, ulong offset, ulong length, bool fin)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.Stream);
        f.A = streamId;
        f.B = offset;
        f.C = length;
        f.Flag = fin;
    }

    /// <summary>MAX_DATA.</summary>
    public void AddMaxData(ulong maximum)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.MaxData).A = maximum;
    }

    /// <summary>MAX_STREAM_DATA.</summary>
    public void AddMaxStreamData(ulong streamId, ulong maximum)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.MaxStreamData);
        f.A = streamId;
        f.B = maximum;
    }

    /// <summary>MAX_STREAMS for bidirectional (0x12) or unidirectional (0x13) streams.</summary>
    public void AddMaxStreams(bool bidirectional, ulong maximum)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.MaxStreams);
        f.A = maximum;
        f.Flag = bidirectional;
    }

    /// <summary>DATA_BLOCKED at the connection-level <paramref name="limit"/>.</summary>
    public void AddDataBlocked(ulong limit)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.DataBlocked).A = limit;
    }

    /// <summary>STREAM_DATA_BLOCKED at the stream-level <paramref name="limit"/>.</summary>
    public void AddStreamDataBlocked(ulong streamId, ulong limit)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.StreamDataBlocked);
        f.A = streamId;
        f.B = limit;
    }

    /// <summary>STREAMS_BLOCKED for bidirectional (0x16) or unidirectional (0x17) streams.</summary>
    public void AddStreamsBlocked(bool bidirectional, ulong limit)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.StreamsBlocked);
        f.A = limit;
        f.Flag = bidirectional;
    }

    /// <summary>NEW_CONNECTION_ID (the stateless reset token may be empty to leave it out of the log).</summary>
    public void AddNewConnectionId(ulong sequenceNumber, ulong retirePriorTo, ReadOnlySpan<byte> connectionId, ReadOnlySpan<byte> statelessResetToken)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.NewConnectionId);
        f.A = sequenceNumber;
        f.B = retirePriorTo;
        f.BytesStart = CopyBytes(connectionId);
        f.BytesLength = connectionId.Length;
        f = ref _frames[_count - 1]; // CopyBytes never moves _frames, but keep the ref obviously valid
        f.Bytes2Start = CopyBytes(statelessResetToken);
        f.Bytes2Length = statelessResetToken.Length;
    }

    /// <summary>RETIRE_CONNECTION_ID.</summary>
    public void AddRetireConnectionId(ulong sequenceNumber)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.RetireConnectionId).A = sequenceNumber;
    }

    /// <summary>PATH_CHALLENGE with its 8 data bytes as a big-endian integer (as the frame codec reads them).</summary>
    public void AddPathChallenge(ulong data)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.PathChallenge).A = data;
    }

    /// <summary>PATH_RESPONSE with its 8 data bytes as a big-endian integer (as the frame codec reads them).</summary>
    public void AddPathResponse(ulong data)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.PathResponse).A = data;
    }

    /// <summary>
    /// CONNECTION_CLOSE: type 0x1c (<paramref name="isApplicationError"/> false; <paramref name="triggerFrameType"/> is the
    /// frame type that caused the error, 0 when unknown) or 0x1d (application error). The reason phrase is copied; bytes
    /// that are not valid UTF-8 are logged with replacement characters.
    /// </summary>
    public void AddConnectionClose(bool isApplicationError, ulong errorCode, ulong triggerFrameType, ReadOnlySpan<byte> reasonPhraseUtf8)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.ConnectionClose);
        f.Flag = isApplicationError;
        f.A = errorCode;
        f.B = triggerFrameType;
        f.BytesStart = CopyBytes(reasonPhraseUtf8);
        f.BytesLength = reasonPhraseUtf8.Length;
    }

    /// <summary>CONNECTION_CLOSE with the reason phrase as a string (see the UTF-8 overload).</summary>
    public void AddConnectionClose(bool isApplicationError, ulong errorCode, ulong triggerFrameType, string? reasonPhrase)
    {
        if (!IsEnabled) return;
        ref var f = ref Append(QlogFrameKind.ConnectionClose);
        f.Flag = isApplicationError;
        f.A = errorCode;
        f.B = triggerFrameType;
        f.Text = string.IsNullOrEmpty(reasonPhrase) ? null : reasonPhrase;
    }

    /// <summary>HANDSHAKE_DONE.</summary>
    public void AddHandshakeDone()
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.HandshakeDone);
    }

    /// <summary>DATAGRAM (RFC 9221) carrying <paramref name="length"/> bytes (the data is not logged).</summary>
    public void AddDatagram(int length)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.Datagram).A = (ulong)Math.Max(0, length);
    }

    /// <summary>A frame of a type this stack does not know, logged as <c>"unknown"</c> with its raw type.</summary>
    public void AddUnknown(ulong rawFrameType)
    {
        if (!IsEnabled) return;
        Append(QlogFrameKind.Unknown).A = rawFrameType;
    }

    /// <summary>
    /// Records a frame decoded by <see cref="FrameReader"/>. <paramref name="ackDelayExponent"/> scales an ACK frame's
    /// delay: the exponent of whoever sent the frame (the peer's transport parameter for received packets).
    /// </summary>
    public void Add(Frame frame, int ackDelayExponent = TransportParameters.DefaultAckDelayExponent)
    {
        if (!IsEnabled) return;
        switch (frame.Type)
        {
            case FrameType.Padding: AddPadding(frame.PaddingLength); break;
            case FrameType.Ping: AddPing(); break;
            case FrameType.Ack:
            case FrameType.AckEcn:
                AddAck(frame.AsAck(), ackDelayExponent);
                break;
            case FrameType.ResetStream:
                {
                    var r = frame.AsResetStream();
                    AddResetStream(r.StreamId, r.ApplicationProtocolErrorCode, r.FinalSize);
                    break;
                }
            case FrameType.StopSending:
                {
                    var s = frame.AsStopSending();
                    AddStopSending(s.StreamId, s.ApplicationProtocolErrorCode);
                    break;
                }
            case FrameType.Crypto:
                {
                    var c = frame.AsCrypto();
                    AddCrypto(c.Offset, (ulong)c.Data.Length);
                    break;
                }
            case FrameType.NewToken: AddNewToken(frame.AsNewToken().Token.Length); break;
            case FrameType.Stream:
                {
                    var s = frame.AsStream();
                    AddStream(s.StreamId, s.Offset, (ulong)s.Data.Length, s.Fin);
                    break;
                }
            case FrameType.MaxData: AddMaxData(frame.AsMaxData().MaximumData); break;
            case FrameType.MaxStreamData:
                {
                    var m = frame.AsMaxStreamData();
                    AddMaxStreamData(m.StreamId, m.MaximumStreamData);
                    break;
                }
            case FrameType.MaxStreamsBidi:
            case FrameType.MaxStreamsUni:
                {
                    var m = frame.AsMaxStreams();
                    AddMaxStreams(m.Bidirectional, m.MaximumStreams);
                    break;
                }
            case FrameType.DataBlocked: AddDataBlocked(frame.AsDataBlocked().MaximumData); break;
            case FrameType.StreamDataBlocked:
                {
                    var b = frame.AsStreamDataBlocked();
                    AddStreamDataBlocked(b.StreamId, b.MaximumStreamData);
                    break;
                }
            case FrameType.StreamsBlockedBidi:
            case FrameType.StreamsBlockedUni:
                {
                    var b = frame.AsStreamsBlocked();
                    AddStreamsBlocked(b.Bidirectional, b.MaximumStreams);
                    break;
                }
            case FrameType.NewConnectionId:
                {
                    var n = frame.AsNewConnectionId();
                    AddNewConnectionId(n.SequenceNumber, n.RetirePriorTo, n.ConnectionId, n.StatelessResetToken);
                    break;
                }
            case FrameType.RetireConnectionId: AddRetireConnectionId(frame.AsRetireConnectionId().SequenceNumber); break;
            case FrameType.PathChallenge: AddPathChallenge(frame.AsPathChallenge().Data); break;
            case FrameType.PathResponse: AddPathResponse(frame.AsPathResponse().Data); break;
            case FrameType.ConnectionClose:
            case FrameType.ConnectionCloseApplication:
                {
                    var c = frame.AsConnectionClose();
                    AddConnectionClose(c.IsApplicationError, c.ErrorCode, c.TriggeringFrameType, c.ReasonPhrase);
                    break;
                }
            case FrameType.HandshakeDone: AddHandshakeDone(); break;
            case FrameType.Datagram:
            case FrameType.DatagramWithLength:
                AddDatagram(frame.AsDatagram().Data.Length);
                break;
            default: AddUnknown(frame.RawType); break;
        }
    }

    /// <summary>Records a decoded ACK frame, its delay scaled by <paramref name="ackDelayExponent"/> (RFC 9000 §19.3).</summary>
    public void AddAck(AckFrame frame, int ackDelayExponent)
    {
        if (!IsEnabled) return;
        TimeSpan delay = (uint)ackDelayExponent <= 20 ? frame.GetAckDelay(ackDelayExponent) : TimeSpan.Zero;
        BeginAck(delay, frame.EcnCounts);
        try
        {
            foreach (var range in frame.Ranges) AddAckRange(range.Smallest, range.Largest);
        }
        catch (WireFormatException)
        {
            // A malformed range ends the list; the codec reports the error to the connection, not the log.
        }
    }

    private ref QlogFrame Append(QlogFrameKind kind)
    {
        if (_count == _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
        _openAck = -1;
        ref var f = ref _frames[_count++];
        f = default;
        f.Kind = kind;
        return ref f;
    }

    private int ReserveNumbers(int count)
    {
        if (_numberCount + count > _numbers.Length) Array.Resize(ref _numbers, Math.Max(_numbers.Length * 2, _numberCount + count));
        int at = _numberCount;
        _numberCount += count;
        return at;
    }

    private int CopyBytes(ReadOnlySpan<byte> bytes)
    {
        if (_byteCount + bytes.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _byteCount + bytes.Length));
        int at = _byteCount;
        bytes.CopyTo(_bytes.AsSpan(at));
        _byteCount += bytes.Length;
        return at;
    }
}
