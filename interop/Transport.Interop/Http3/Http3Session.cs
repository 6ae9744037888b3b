using System.Buffers;

namespace Transport.Interop.Http3;

/// <summary>
/// What client and server share on one HTTP/3 connection: the local control stream with SETTINGS, the peer's
/// unidirectional streams (control, push, QPACK encoder/decoder, unknown), GOAWAY state, and closing the connection
/// on a connection error.
/// </summary>
public sealed class Http3Session
{
    /// <summary>Largest HEADERS (and other buffered frame) payload accepted.</summary>
    public const int MaxBufferedFramePayload = 64 * 1024;

    private readonly TaskCompletionSource<Http3Settings> _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<long> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _controlSeen, _encoderSeen, _decoderSeen, _closing;
    private ulong? _goAwayId;
    private ulong? _peerMaxPushId;

    /// <summary>Creates the session state for one side of <paramref name="connection"/>.</summary>
    public Http3Session(IH3Connection connection, bool isServer, Http3Settings? localSettings = null)
    {
        Connection = connection ?? throw new ArgumentNullException(nameof(connection));
        IsServer = isServer;
        LocalSettings = localSettings ?? new Http3Settings { MaxFieldSectionSize = MaxBufferedFramePayload };
        if (LocalSettings.QpackMaxTableCapacity != 0 || LocalSettings.QpackBlockedStreams != 0)
            throw new ArgumentException("This QPACK decoder has no dynamic table: capacity and blocked streams must be 0.", nameof(localSettings));
    }

    /// <summary>The connection.</summary>
    public IH3Connection Connection { get; }

    /// <summary>True on the server side.</summary>
    public bool IsServer { get; }

    /// <summary>The settings sent to the peer.</summary>
    public Http3Settings LocalSettings { get; }

    /// <summary>Completes with the peer's SETTINGS once its control stream delivered them.</summary>
    public Task<Http3Settings> PeerSettings => _peerSettings.Task;

    /// <summary>The local control stream, once opened.</summary>
    public IH3Stream? ControlStream { get; private set; }

    /// <summary>The ID of the last GOAWAY received, if any.</summary>
    public ulong? GoAwayId => _goAwayId;

    /// <summary>The application error code this side closed the connection with, once it did.</summary>
    public long? CloseErrorCode { get; private set; }

    /// <summary>Opens the local control stream and sends the stream type and SETTINGS (RFC 9114 §6.2.1).</summary>
    public async Task OpenControlStreamAsync(CancellationToken cancellationToken = default)
    {
        IH3Stream s = await Connection.OpenUnidirectionalStreamAsync(cancellationToken).ConfigureAwait(false);
        ControlStream = s;
        Span<byte> type = stackalloc byte[1];
        type[0] = (byte)Http3StreamType.Control;
        s.Output.Write(type);
        LocalSettings.WriteFrame(s.Output);
        await s.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        // The control stream stays open for the life of the connection: no FIN.
    }

    /// <summary>Closes the connection with <paramref name="errorCode"/> once; later calls do nothing.</summary>
    public async Task CloseAsync(long errorCode)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        CloseErrorCode = errorCode;
        _peerSettings.TrySetException(new Http3Exception(errorCode, "The connection closed."));
        _ = _peerSettings.Task.Exception; // observed: nobody may be waiting for the settings
        try { await Connection.CloseAsync(errorCode).ConfigureAwait(false); }
        catch (Exception) { /* already gone */ }
        _closed.TrySetResult(errorCode);
    }

    /// <summary>True once <see cref="CloseAsync"/> ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closing) != 0;

    /// <summary>Completes with the error code once this side closed the connection.</summary>
    public Task<long> Closed => _closed.Task;

    /// <summary>
    /// Handles one peer-initiated unidirectional stream until it ends. Connection errors close the connection; the
    /// task itself never faults.
    /// </summary>
    public async Task HandleUnidirectionalStreamAsync(IH3Stream stream, CancellationToken cancellationToken = default)
    {
        try
        {
            var reader = new Http3FrameReader(stream.Input);
            ulong? type = await reader.ReadVarIntAsync(cancellationToken).ConfigureAwait(false);
            if (type is null) return; // closed before its type: nothing to do
            switch (type.Value)
            {
                case Http3StreamType.Control:
                    // RFC 9114 §6.2.1: only one control stream per peer.
                    if (Interlocked.Exchange(ref _controlSeen, 1) != 0)
                        throw new Http3Exception(Http3ErrorCode.StreamCreationError, "A second control stream.");
                    await ReadControlStreamAsync(reader, cancellationToken).ConfigureAwait(false);
                    break;
                case Http3StreamType.Push:
                    // RFC 9114 §6.2.2: only servers push; we never sent MAX_PUSH_ID, so any push ID exceeds the limit.
                    if (IsServer)
                        throw new Http3Exception(Http3ErrorCode.StreamCreationError, "A client opened a push stream.");
                    await reader.ReadVarIntAsync(cancellationToken).ConfigureAwait(false);
                    throw new Http3Exception(Http3ErrorCode.IdError, "Push stream although no MAX_PUSH_ID was sent.");
                case Http3StreamType.QpackEncoder:
                    if (Interlocked.Exchange(ref _encoderSeen, 1) != 0)
                        throw new Http3Exception(Http3ErrorCode.StreamCreationError, "A second QPACK encoder stream.");
                    await ReadQpackStreamAsync(stream, encoderStream: true, cancellationToken).ConfigureAwait(false);
                    break;
                case Http3StreamType.QpackDecoder:
                    if (Interlocked.Exchange(ref _decoderSeen, 1) != 0)
                        throw new Http3Exception(Http3ErrorCode.StreamCreationError, "A second QPACK decoder stream.");
                    await ReadQpackStreamAsync(stream, encoderStream: false, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    // RFC 9114 §6.2: unknown (and reserved 0x1f*N+0x21) types: stop reading, no connection error.
                    stream.AbortRead(Http3ErrorCode.StreamCreationError);
                    break;
            }
        }
        catch (Http3Exception e)
        {
            await CloseAsync(e.ErrorCode).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The stream or connection failed underneath (reset, close, cancellation): nothing more to do here.
        }
    }

    // RFC 9114 §6.2.1, §7.2: SETTINGS first and once; then GOAWAY, MAX_PUSH_ID, CANCEL_PUSH, unknown; never DATA,
    // HEADERS or PUSH_PROMISE. The stream must not end.
    private async Task ReadControlStreamAsync(Http3FrameReader reader, CancellationToken cancellationToken)
    {
        bool first = true;
        while (await reader.ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false))
        {
            ulong type = reader.FrameType;
            if (first)
            {
                if (type != Http3FrameType.Settings)
                    throw new Http3Exception(Http3ErrorCode.MissingSettings, $"The control stream starts with frame 0x{type:x}, not SETTINGS.");
                first = false;
                byte[] payload = await reader.ReadPayloadAsync(MaxBufferedFramePayload, cancellationToken).ConfigureAwait(false);
                _peerSettings.TrySetResult(Http3Settings.Parse(payload));
                continue;
            }
            switch (type)
            {
                case Http3FrameType.Settings:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "A second SETTINGS frame.");
                case Http3FrameType.Data:
                case Http3FrameType.Headers:
                case Http3FrameType.PushPromise:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"Frame 0x{type:x} on the control stream.");
                case Http3FrameType.GoAway:
                {
                    ulong id = Http3Frames.ParseVarIntPayload(await reader.ReadPayloadAsync(8, cancellationToken).ConfigureAwait(false));
                    // RFC 9114 §5.2: from a server, a client-initiated bidirectional stream ID; never increasing.
                    if (!IsServer && id % 4 != 0)
                        throw new Http3Exception(Http3ErrorCode.IdError, $"GOAWAY stream ID {id} is not a client-initiated bidirectional stream.");
                    if (_goAwayId is ulong previous && id > previous)
                        throw new Http3Exception(Http3ErrorCode.IdError, $"GOAWAY ID grew from {previous} to {id}.");
                    _goAwayId = id;
                    break;
                }
                case Http3FrameType.MaxPushId:
                {
                    ulong id = Http3Frames.ParseVarIntPayload(await reader.ReadPayloadAsync(8, cancellationToken).ConfigureAwait(false));
                    // RFC 9114 §7.2.7: only clients send it, and never reduce it.
                    if (!IsServer)
                        throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "A server sent MAX_PUSH_ID.");
                    if (_peerMaxPushId is ulong previous && id < previous)
                        throw new Http3Exception(Http3ErrorCode.IdError, $"MAX_PUSH_ID fell from {previous} to {id}.");
                    _peerMaxPushId = id;
                    break;
                }
                case Http3FrameType.CancelPush:
                {
                    ulong id = Http3Frames.ParseVarIntPayload(await reader.ReadPayloadAsync(8, cancellationToken).ConfigureAwait(false));
                    // RFC 9114 §7.2.3: a push ID above the current limit is H3_ID_ERROR. A client that never sent
                    // MAX_PUSH_ID allows none; a server accepts IDs up to the client's MAX_PUSH_ID (and pushes nothing).
                    if (!IsServer || _peerMaxPushId is not ulong max || id > max)
                        throw new Http3Exception(Http3ErrorCode.IdError, $"CANCEL_PUSH for push ID {id} beyond the limit.");
                    break;
                }
                default:
                    if (Http3FrameType.IsHttp2Only(type))
                        throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{type:x}.");
                    await reader.SkipPayloadAsync(cancellationToken).ConfigureAwait(false); // unknown or reserved
                    break;
            }
        }
        if (first) throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "The control stream ended before SETTINGS.");
        throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "The peer closed its control stream.");
    }

    // RFC 9204 §4.2-4.4 with our capacity 0 and no dynamic references: on the peer's encoder stream only "Set Dynamic
    // Table Capacity 0" is valid; on its decoder stream only "Stream Cancellation". Closing either is
    // H3_CLOSED_CRITICAL_STREAM.
    private static async Task ReadQpackStreamAsync(IH3Stream stream, bool encoderStream, CancellationToken cancellationToken)
    {
        var input = stream.Input;
        while (true)
        {
            var r = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            long consumedTotal = 0;
            while (buf.Length - consumedTotal > 0)
            {
                ReadOnlySequence<byte> rest = buf.Slice(consumedTotal);
                int n = ParseQpackInstruction(rest, encoderStream);
                if (n == 0) break; // incomplete
                consumedTotal += n;
            }
            input.AdvanceTo(buf.GetPosition(consumedTotal), buf.End);
            if (r.IsCompleted || r.IsCanceled)
                throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream,
                    encoderStream ? "The peer closed its QPACK encoder stream." : "The peer closed its QPACK decoder stream.");
        }
    }

    private static int ParseQpackInstruction(ReadOnlySequence<byte> rest, bool encoderStream)
    {
        Span<byte> tmp = stackalloc byte[16];
        int len = (int)Math.Min(rest.Length, tmp.Length);
        rest.Slice(0, len).CopyTo(tmp);
        ReadOnlySpan<byte> s = tmp[..len];
        byte b = s[0];
        long code = encoderStream ? Http3ErrorCode.QpackEncoderStreamError : Http3ErrorCode.QpackDecoderStreamError;
        try
        {
            if (encoderStream)
            {
                // 001xxxxx Set Dynamic Table Capacity (5-bit prefix); inserts and duplicates need a table we lack.
                if ((b & 0xE0) != 0x20)
                    throw new Http3Exception(code, "Encoder instruction needs a dynamic table, but its capacity is 0.");
                if (!PrefixedInteger.TryRead(s, 5, out ulong capacity, out int n))
                {
                    if (len == tmp.Length) throw new Http3Exception(code, "Overlong integer.");
                    return 0;
                }
                if (capacity != 0) throw new Http3Exception(code, $"Dynamic table capacity {capacity} exceeds the maximum 0.");
                return n;
            }
            // 01xxxxxx Stream Cancellation (6-bit prefix) is fine; Section Acknowledgment (1xxxxxxx) and Insert Count
            // Increment (00xxxxxx) refer to dynamic state that we never created.
            if ((b & 0xC0) != 0x40)
                throw new Http3Exception(code, "Decoder instruction refers to dynamic table state that does not exist.");
            if (!PrefixedInteger.TryRead(s, 6, out _, out int m))
            {
                if (len == tmp.Length) throw new Http3Exception(code, "Overlong integer.");
                return 0;
            }
            return m;
        }
        catch (Http3Exception e) when (e.ErrorCode == Http3ErrorCode.QpackDecompressionFailed)
        {
            throw new Http3Exception(code, e.Message);
        }
    }
}
