namespace Transport.Quic.Frames;

/// <summary>DATAGRAM (RFC 9221 §4, types 0x30 and 0x31): unreliable application data.</summary>
public readonly ref struct DatagramFrame
{
    /// <summary>Describes a DATAGRAM frame.</summary>
    public DatagramFrame(ReadOnlySpan<byte> data, bool hasLengthField = true)
    {
        Data = data;
        HasLengthField = hasLengthField;
    }

    /// <summary>The application data (a slice of the packet payload when read).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>True for type 0x31 (a Length field); false for 0x30 (the data runs to the end of the packet).</summary>
    public bool HasLengthField { get; }
}
