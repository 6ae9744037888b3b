using System.Buffers.Binary;

namespace Transport.Quic.Tls;

/// <summary>Big-endian reader of TLS presentation-language structures (RFC 8446 §3); underruns raise decode_error.</summary>
internal ref struct TlsReader
{
    private ReadOnlySpan<byte> _data;

    public TlsReader(ReadOnlySpan<byte> data) => _data = data;

    public readonly int Remaining => _data.Length;

    public readonly bool IsEmpty => _data.IsEmpty;

    public byte ReadUInt8()
    {
        Need(1);
        byte v = _data[0];
        _data = _data.Slice(1);
        return v;
    }

    public ushort ReadUInt16()
    {
        Need(2);
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(_data);
        _data = _data.Slice(2);
        return v;
    }

    public int ReadUInt24()
    {
        Need(3);
        int v = (_data[0] << 16) | (_data[1] << 8) | _data[2];
        _data = _data.Slice(3);
        return v;
    }

    public uint ReadUInt32()
    {
        Need(4);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_data);
        _data = _data.Slice(4);
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes(int length)
    {
        Need(length);
        ReadOnlySpan<byte> v = _data.Slice(0, length);
        _data = _data.Slice(length);
        return v;
    }

    /// <summary>opaque x&lt;min..2^8-1&gt;.</summary>
    public ReadOnlySpan<byte> ReadVector8(int min = 0) => Check(ReadBytes(ReadUInt8()), min);

    /// <summary>opaque x&lt;min..2^16-1&gt;.</summary>
    public ReadOnlySpan<byte> ReadVector16(int min = 0) => Check(ReadBytes(ReadUInt16()), min);

    /// <summary>opaque x&lt;min..2^24-1&gt;.</summary>
    public ReadOnlySpan<byte> ReadVector24(int min = 0) => Check(ReadBytes(ReadUInt24()), min);

    /// <summary>Raises decode_error unless everything was consumed.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (!_data.IsEmpty) throw new TlsAlertException(TlsAlert.DecodeError, $"{_data.Length} trailing bytes after {what}.");
    }

    private static ReadOnlySpan<byte> Check(ReadOnlySpan<byte> v, int min)
    {
        if (v.Length < min) throw new TlsAlertException(TlsAlert.DecodeError, $"A vector is shorter than its minimum of {min} bytes.");
        return v;
    }

    private readonly void Need(int n)
    {
        if (_data.Length < n) throw new TlsAlertException(TlsAlert.DecodeError, "A handshake message is truncated.");
    }
}
