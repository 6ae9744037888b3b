using System.Buffers.Binary;

namespace Transport.Quic.Frames;

/// <summary>
/// One frame read by a <see cref="FrameReader"/>: its type, its encoded bytes, and typed views (<see cref="AsAck"/>,
/// <see cref="AsStream"/>, ...) whose spans point into the packet payload. Valid only while the payload is; allocates
/// nothing. Calling a view that does not match <see cref="Type"/> throws <see cref="InvalidOperationException"/>.
/// </summary>
public readonly ref struct Frame
{
    private readonly ulong _v0, _v1, _v2, _v3;
    private readonly ReadOnlySpan<byte> _s0, _s1;

    internal Frame(ulong rawType, ReadOnlySpan<byte> encoded, ulong v0 = 0, ulong v1 = 0, ulong v2 = 0, ulong v3 = 0,
        ReadOnlySpan<byte> s0 = default, ReadOnlySpan<byte> s1 = default)
    {
        RawType = rawType;
        Encoded = encoded;
        _v0 = v0;
        _v1 = v1;
        _v2 = v2;
        _v3 = v3;
        _s0 = s0;
        _s1 = s1;
    }

    /// <summary>The frame type as sent (for STREAM, 0x08-0x0f with the OFF/LEN/FIN bits).</summary>
    public ulong RawType { get; }

    /// <summary>The frame type, with the STREAM variants folded into <see cref="FrameType.Stream"/>.</summary>
    public FrameType Type => FrameRules.Normalize(RawType);

    /// <summary>The frame's bytes in the payload, type included.</summary>
    public ReadOnlySpan<byte> Encoded { get; }

    /// <summary>True unless the frame is ACK, PADDING or CONNECTION_CLOSE (RFC 9002 §2).</summary>
    public bool IsAckEliciting => FrameRules.IsAckEliciting(Type);

    /// <summary>The number of PADDING bytes (consecutive PADDING frames are reported as one).</summary>
    public int PaddingLength => Is(FrameType.Padding) ? Encoded.Length : 0;

    /// <summary>The ACK frame (types 0x02, 0x03).</summary>
    public AckFrame AsAck()
    {
        if (Type is not (FrameType.Ack or FrameType.AckEcn)) throw Wrong("ACK");
        return new AckFrame(_v0, _v1, _v2, _v3, _s0, Type == FrameType.AckEcn, _s1);
    }

    /// <summary>The RESET_STREAM frame.</summary>
    public ResetStreamFrame AsResetStream() =>
        Is(FrameType.ResetStream) ? new ResetStreamFrame(_v0, _v1, _v2) : throw Wrong("RESET_STREAM");

    /// <summary>The STOP_SENDING frame.</summary>
    public StopSendingFrame AsStopSending() =>
        Is(FrameType.StopSending) ? new StopSendingFrame(_v0, _v1) : throw Wrong("STOP_SENDING");

    /// <summary>The CRYPTO frame.</summary>
    public CryptoFrame AsCrypto() => Is(FrameType.Crypto) ? new CryptoFrame(_v0, _s0) : throw Wrong("CRYPTO");

    /// <summary>The NEW_TOKEN frame.</summary>
    public NewTokenFrame AsNewToken() => Is(FrameType.NewToken) ? new NewTokenFrame(_s0) : throw Wrong("NEW_TOKEN");

    /// <summary>The STREAM frame (types 0x08-0x0f).</summary>
    public StreamFrame AsStream() =>
        Is(FrameType.Stream)
            ? new StreamFrame(_v0, _v1, _s0, (RawType & FrameRules.StreamFinBit) != 0, (RawType & FrameRules.StreamLenBit) != 0)
            : throw Wrong("STREAM");

    /// <summary>The MAX_DATA frame.</summary>
    public MaxDataFrame AsMaxData() => Is(FrameType.MaxData) ? new MaxDataFrame(_v0) : throw Wrong("MAX_DATA");

    /// <summary>The MAX_STREAM_DATA frame.</summary>
    public MaxStreamDataFrame AsMaxStreamData() =>
        Is(FrameType.MaxStreamData) ? new MaxStreamDataFrame(_v0, _v1) : throw Wrong("MAX_STREAM_DATA");

    /// <summary>The MAX_STREAMS frame (types 0x12, 0x13).</summary>
    public MaxStreamsFrame AsMaxStreams() =>
        Type is FrameType.MaxStreamsBidi or FrameType.MaxStreamsUni
            ? new MaxStreamsFrame(Type == FrameType.MaxStreamsBidi, _v0)
            : throw Wrong("MAX_STREAMS");

    /// <summary>The DATA_BLOCKED frame.</summary>
    public DataBlockedFrame AsDataBlocked() =>
        Is(FrameType.DataBlocked) ? new DataBlockedFrame(_v0) : throw Wrong("DATA_BLOCKED");

    /// <summary>The STREAM_DATA_BLOCKED frame.</summary>
    public StreamDataBlockedFrame AsStreamDataBlocked() =>
        Is(FrameType.StreamDataBlocked) ? new StreamDataBlockedFrame(_v0, _v1) : throw Wrong("STREAM_DATA_BLOCKED");

    /// <summary>The STREAMS_BLOCKED frame (types 0x16, 0x17).</summary>
    public StreamsBlockedFrame AsStreamsBlocked() =>
        Type is FrameType.StreamsBlockedBidi or FrameType.StreamsBlockedUni
            ? new StreamsBlockedFrame(Type == FrameType.StreamsBlockedBidi, _v0)
            : throw Wrong("STREAMS_BLOCKED");

    /// <summary>The NEW_CONNECTION_ID frame.</summary>
    public NewConnectionIdFrame AsNewConnectionId() =>
        Is(FrameType.NewConnectionId) ? new NewConnectionIdFrame(_v0, _v1, _s0, _s1) : throw Wrong("NEW_CONNECTION_ID");

    /// <summary>The RETIRE_CONNECTION_ID frame.</summary>
    public RetireConnectionIdFrame AsRetireConnectionId() =>
        Is(FrameType.RetireConnectionId) ? new RetireConnectionIdFrame(_v0) : throw Wrong("RETIRE_CONNECTION_ID");

    /// <summary>The PATH_CHALLENGE frame.</summary>
    public PathChallengeFrame AsPathChallenge() =>
        Is(FrameType.PathChallenge) ? new PathChallengeFrame(BinaryPrimitives.ReadUInt64BigEndian(_s0)) : throw Wrong("PATH_CHALLENGE");

    /// <summary>The PATH_RESPONSE frame.</summary>
    public PathResponseFrame AsPathResponse() =>
        Is(FrameType.PathResponse) ? new PathResponseFrame(BinaryPrimitives.ReadUInt64BigEndian(_s0)) : throw Wrong("PATH_RESPONSE");

    /// <summary>The CONNECTION_CLOSE frame (types 0x1c, 0x1d).</summary>
    public ConnectionCloseFrame AsConnectionClose() =>
        Type is FrameType.ConnectionClose or FrameType.ConnectionCloseApplication
            ? new ConnectionCloseFrame(Type == FrameType.ConnectionCloseApplication, _v0, _v1, _s0)
            : throw Wrong("CONNECTION_CLOSE");

    /// <summary>The DATAGRAM frame (types 0x30, 0x31).</summary>
    public DatagramFrame AsDatagram() =>
        Type is FrameType.Datagram or FrameType.DatagramWithLength
            ? new DatagramFrame(_s0, Type == FrameType.DatagramWithLength)
            : throw Wrong("DATAGRAM");

    private bool Is(FrameType type) => Type == type;

    private InvalidOperationException Wrong(string expected) =>
        new($"The frame is of type 0x{RawType:x2} ({Type}), not {expected}.");
}
