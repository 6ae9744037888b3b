namespace Transport.Quic.Frames;

/// <summary>STREAM (RFC 9000 §19.8, types 0x08-0x0f): stream data at an offset, possibly ending the stream.</summary>
public readonly ref struct StreamFrame
{
    /// <summary>Describes a STREAM frame.</summary>
    public StreamFrame(ulong streamId, ulong offset, ReadOnlySpan<byte> data, bool fin, bool hasLengthField = true)
    {
        StreamId = streamId;
        Offset = offset;
        Data = data;
        Fin = fin;
        HasLengthField = hasLengthField;
    }

    /// <summary>The stream the data belongs to.</summary>
    public ulong StreamId { get; }

    /// <summary>The byte offset of <see cref="Data"/> in the stream (0 when the OFF bit is clear).</summary>
    public ulong Offset { get; }

    /// <summary>The stream data (a slice of the packet payload when read).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The FIN bit: the stream ends at <see cref="Offset"/> + <see cref="Data"/>.Length.</summary>
    public bool Fin { get; }

    /// <summary>The LEN bit: the frame carries a Length field (otherwise the data runs to the end of the packet).</summary>
    public bool HasLengthField { get; }
}
