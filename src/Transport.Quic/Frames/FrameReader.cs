using Transport.Core.Wire;

namespace Transport.Quic.Frames;

/// <summary>
/// Reads the frames of one decrypted packet payload, one at a time, without allocating (RFC 9000 §12.4, §19).
/// Peer input never throws: a malformed, truncated or unknown frame ends the reading with
/// <see cref="FrameReadResult.Error"/> and sets <see cref="Error"/> (FRAME_ENCODING_ERROR or PROTOCOL_VIOLATION),
/// <see cref="ErrorFrameType"/> (for CONNECTION_CLOSE's Frame Type field) and <see cref="ErrorReason"/>.
/// </summary>
/// <example><code>
/// var reader = new FrameReader(payload, EncryptionLevel.OneRtt);
/// FrameReadResult r;
/// while ((r = reader.ReadNext(out Frame frame)) == FrameReadResult.Frame) { ... }
/// if (r == FrameReadResult.Error) CloseConnection(reader.Error, reader.ErrorFrameType, reader.ErrorReason);
/// </code></example>
public ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private readonly EncryptionLevel _level;
    private readonly bool _receiverIsServer;
    private int _position;

    /// <summary>
    /// Reads frames from <paramref name="payload"/>, a packet protected at <paramref name="level"/>. A server passes
    /// <paramref name="receiverIsServer"/> = true so that frames only a server may send (NEW_TOKEN, HANDSHAKE_DONE) are
    /// rejected as PROTOCOL_VIOLATION (RFC 9000 §19.7, §19.20).
    /// </summary>
    public FrameReader(ReadOnlySpan<byte> payload, EncryptionLevel level, bool receiverIsServer = false)
    {
        _payload = payload;
        _level = level;
        _receiverIsServer = receiverIsServer;
        _position = 0;
        Error = TransportErrorCode.NoError;
        ErrorFrameType = 0;
        ErrorReason = null;
        IsAckEliciting = false;
        IsInFlight = false;
    }

    /// <summary>True once an ack-eliciting frame has been read: the packet must be acknowledged (RFC 9000 §13.2.1).</summary>
    public bool IsAckEliciting { get; private set; }

    /// <summary>True once a frame that makes the packet count toward bytes in flight has been read (RFC 9002 §2).</summary>
    public bool IsInFlight { get; private set; }

    /// <summary>Bytes of the payload consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>The error to close the connection with after <see cref="FrameReadResult.Error"/>; NoError otherwise.</summary>
    public TransportErrorCode Error { get; private set; }

    /// <summary>The type of the frame that caused <see cref="Error"/> (0 when the type itself was unreadable).</summary>
    public ulong ErrorFrameType { get; private set; }

    /// <summary>A short, constant description of what was wrong (no allocation); null when no error.</summary>
    public string? ErrorReason { get; private set; }

    /// <summary>Reads the next frame. After an error every further call returns <see cref="FrameReadResult.Error"/> again.</summary>
    public FrameReadResult ReadNext(out Frame frame)
    {
        frame = default;
        if (Error != TransportErrorCode.NoError) return FrameReadResult.Error;
        // RFC 9000 §12.4: a packet containing no frames is a PROTOCOL_VIOLATION.
        if (_payload.IsEmpty) return Fail(TransportErrorCode.ProtocolViolation, 0, "Packet contains no frames.");
        if (_position >= _payload.Length) return FrameReadResult.End;

        int start = _position;
        ReadOnlySpan<byte> rest = _payload.Slice(start);

        // RFC 9000 §19.1: consecutive PADDING bytes, reported as one frame.
        if (rest[0] == 0)
        {
            int n = rest.IndexOfAnyExcept((byte)0);
            if (n < 0) n = rest.Length;
            _position += n;
            IsInFlight = true;
            frame = new Frame(0, rest.Slice(0, n));
            return FrameReadResult.Frame;
        }

        var r = new SpanReader(rest);
        if (!r.TryReadVarInt(out ulong type))
            return Fail(TransportErrorCode.FrameEncodingError, 0, "Frame type truncated.");
        // RFC 9000 §12.4: frame types use the shortest encoding; an endpoint MAY treat a longer one as PROTOCOL_VIOLATION.
        if (r.Position != VarInt.GetLength(type))
            return Fail(TransportErrorCode.ProtocolViolation, type, "Frame type not minimally encoded.");
        // RFC 9000 §12.4: an unknown frame type is a FRAME_ENCODING_ERROR.
        if (!FrameRules.IsKnown(type))
            return Fail(TransportErrorCode.FrameEncodingError, type, "Unknown frame type.");
        FrameType kind = FrameRules.Normalize(type);
        // RFC 9000 §12.4 Table 3, §12.5: a frame in a packet type that cannot carry it is a PROTOCOL_VIOLATION.
        if (!FrameRules.IsAllowed(kind, _level))
            return Fail(TransportErrorCode.ProtocolViolation, type, "Frame type not allowed in this packet type.");
        // RFC 9000 §19.7, §19.20: a server treats a NEW_TOKEN or HANDSHAKE_DONE it receives as a PROTOCOL_VIOLATION.
        if (_receiverIsServer && !FrameRules.MayBeSentByClient(kind))
            return Fail(TransportErrorCode.ProtocolViolation, type, "Frame type only a server may send.");

        ulong v0 = 0, v1 = 0, v2 = 0, v3 = 0;
        ReadOnlySpan<byte> s0 = default, s1 = default;
        switch (kind)
        {
            case FrameType.Ping:
            case FrameType.HandshakeDone:
                break;

            case FrameType.Ack:
            case FrameType.AckEcn:
            {
                // RFC 9000 §19.3
                if (!r.TryReadVarInt(out v0) || !r.TryReadVarInt(out v1) || !r.TryReadVarInt(out v2) || !r.TryReadVarInt(out v3))
                    return Truncated(type);
                if (v3 > v0) return Fail(TransportErrorCode.FrameEncodingError, type, "ACK first range below packet number 0.");
                // Each Gap/Length pair takes at least two bytes: reject impossible counts before looping.
                if (v2 > (ulong)r.Remaining / 2) return Truncated(type);
                int rangesStart = r.Position;
                ulong smallest = v0 - v3;
                for (ulong i = 0; i < v2; i++)
                {
                    if (!r.TryReadVarInt(out ulong gap) || !r.TryReadVarInt(out ulong length)) return Truncated(type);
                    // RFC 9000 §19.3.1: largest = previous smallest - gap - 2; a negative packet number is a FRAME_ENCODING_ERROR.
                    if (smallest < 2 || gap > smallest - 2)
                        return Fail(TransportErrorCode.FrameEncodingError, type, "ACK gap below packet number 0.");
                    ulong largest = smallest - gap - 2;
                    if (length > largest)
                        return Fail(TransportErrorCode.FrameEncodingError, type, "ACK range below packet number 0.");
                    smallest = largest - length;
                }
                s0 = rest.Slice(rangesStart, r.Position - rangesStart);
                if (kind == FrameType.AckEcn)
                {
                    int ecnStart = r.Position;
                    if (!r.TryReadVarInt(out _) || !r.TryReadVarInt(out _) || !r.TryReadVarInt(out _)) return Truncated(type);
                    s1 = rest.Slice(ecnStart, r.Position - ecnStart);
                }
                break;
            }

            case FrameType.ResetStream:
                if (!r.TryReadVarInt(out v0) || !r.TryReadVarInt(out v1) || !r.TryReadVarInt(out v2)) return Truncated(type);
                break;

            case FrameType.StopSending:
            case FrameType.MaxStreamData:
            case FrameType.StreamDataBlocked:
                if (!r.TryReadVarInt(out v0) || !r.TryReadVarInt(out v1)) return Truncated(type);
                break;

            case FrameType.Crypto:
                // RFC 9000 §19.6
                if (!r.TryReadVarInt(out v0) || !r.TryReadVarIntLengthPrefixed(out s0)) return Truncated(type);
                if ((ulong)s0.Length > VarInt.MaxValue - v0)
                    return Fail(TransportErrorCode.FrameEncodingError, type, "CRYPTO data beyond offset 2^62-1.");
                break;

            case FrameType.NewToken:
                // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR.
                if (!r.TryReadVarIntLengthPrefixed(out s0)) return Truncated(type);
                if (s0.IsEmpty) return Fail(TransportErrorCode.FrameEncodingError, type, "NEW_TOKEN with an empty token.");
                break;

            case FrameType.Stream:
            {
                // RFC 9000 §19.8
                if (!r.TryReadVarInt(out v0)) return Truncated(type);
                if ((type & FrameRules.StreamOffBit) != 0 && !r.TryReadVarInt(out v1)) return Truncated(type);
                if ((type & FrameRules.StreamLenBit) != 0)
                {
                    if (!r.TryReadVarIntLengthPrefixed(out s0)) return Truncated(type);
                }
                else
                {
                    s0 = r.RemainingSpan;
                    r.Skip(s0.Length);
                }
                if ((ulong)s0.Length > VarInt.MaxValue - v1)
                    return Fail(TransportErrorCode.FrameEncodingError, type, "STREAM data beyond offset 2^62-1.");
                break;
            }

            case FrameType.MaxData:
            case FrameType.DataBlocked:
            case FrameType.RetireConnectionId:
                if (!r.TryReadVarInt(out v0)) return Truncated(type);
                break;

            case FrameType.MaxStreamsBidi:
            case FrameType.MaxStreamsUni:
            case FrameType.StreamsBlockedBidi:
            case FrameType.StreamsBlockedUni:
                // RFC 9000 §19.11, §19.14: a count above 2^60 is a FRAME_ENCODING_ERROR.
                if (!r.TryReadVarInt(out v0)) return Truncated(type);
                if (v0 > FrameRules.MaxStreamCount)
                    return Fail(TransportErrorCode.FrameEncodingError, type, "Stream count above 2^60.");
                break;

            case FrameType.NewConnectionId:
            {
                // RFC 9000 §19.15
                if (!r.TryReadVarInt(out v0) || !r.TryReadVarInt(out v1)) return Truncated(type);
                if (!r.TryReadUInt8LengthPrefixed(out s0)) return Truncated(type);
                if (s0.Length is < 1 or > ConnectionId.MaxLength)
                    return Fail(TransportErrorCode.FrameEncodingError, type, "NEW_CONNECTION_ID length not within 1 to 20.");
                if (!r.TryReadBytes(NewConnectionIdFrame.StatelessResetTokenLength, out s1)) return Truncated(type);
                if (v1 > v0)
                    return Fail(TransportErrorCode.FrameEncodingError, type, "NEW_CONNECTION_ID Retire Prior To above Sequence Number.");
                break;
            }

            case FrameType.PathChallenge:
            case FrameType.PathResponse:
                if (!r.TryReadBytes(8, out s0)) return Truncated(type);
                break;

            case FrameType.ConnectionClose:
            case FrameType.ConnectionCloseApplication:
                // RFC 9000 §19.19
                if (!r.TryReadVarInt(out v0)) return Truncated(type);
                if (kind == FrameType.ConnectionClose && !r.TryReadVarInt(out v1)) return Truncated(type);
                if (!r.TryReadVarIntLengthPrefixed(out s0)) return Truncated(type);
                break;

            case FrameType.Datagram:
                // RFC 9221 §4: no Length field, the data runs to the end of the packet.
                s0 = r.RemainingSpan;
                r.Skip(s0.Length);
                break;

            case FrameType.DatagramWithLength:
                if (!r.TryReadVarIntLengthPrefixed(out s0)) return Truncated(type);
                break;
        }

        _position += r.Position;
        if (FrameRules.IsAckEliciting(kind))
        {
            IsAckEliciting = true;
            IsInFlight = true;
        }
        frame = new Frame(type, rest.Slice(0, r.Position), v0, v1, v2, v3, s0, s1);
        return FrameReadResult.Frame;
    }

    private FrameReadResult Truncated(ulong type) =>
        Fail(TransportErrorCode.FrameEncodingError, type, "Frame truncated or a length runs past the packet.");

    private FrameReadResult Fail(TransportErrorCode error, ulong frameType, string reason)
    {
        Error = error;
        ErrorFrameType = frameType;
        ErrorReason = reason;
        return FrameReadResult.Error;
    }
}
