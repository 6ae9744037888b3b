namespace Transport.Quic.Tls;

/// <summary>A growable big-endian writer for handshake messages, with back-patched length prefixes (handshake time only).</summary>
internal sealed class TlsWriter
{
    private byte[] _buffer;

    public TlsWriter(int capacity = 512) => _buffer = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Clear() => Length = 0;

    public void WriteUInt8(int v)
    {
        Ensure(1);
        _buffer[Length++] = (byte)v;
    }

    public void WriteUInt16(int v)
    {
        Ensure(2);
        _buffer[Length++] = (byte)(v >> 8);
        _buffer[Length++] = (byte)v;
    }

    public void WriteUInt24(int v)
    {
        Ensure(3);
        _buffer[Length++] = (byte)(v >> 16);
        _buffer[Length++] = (byte)(v >> 8);
        _buffer[Length++] = (byte)v;
    }

    public void WriteUInt32(uint v)
    {
        Ensure(4);
        _buffer[Length++] = (byte)(v >> 24);
        _buffer[Length++] = (byte)(v >> 16);
        _buffer[Length++] = (byte)(v >> 8);
        _buffer[Length++] = (byte)v;
    }

    public void WriteBytes(ReadOnlySpan<byte> v)
    {
        Ensure(v.Length);
        v.CopyTo(_buffer.AsSpan(Length));
        Length += v.Length;
    }

    public void WriteVector8(ReadOnlySpan<byte> v) { WriteUInt8(CheckLength(v.Length, 0xff)); WriteBytes(v); }

    public void WriteVector16(ReadOnlySpan<byte> v) { WriteUInt16(CheckLength(v.Length, 0xffff)); WriteBytes(v); }

    public void WriteVector24(ReadOnlySpan<byte> v) { WriteUInt24(CheckLength(v.Length, 0xffffff)); WriteBytes(v); }

    /// <summary>Reserves a <paramref name="size"/>-byte length prefix; returns its position for <see cref="EndLength"/>.</summary>
    public int BeginLength(int size)
    {
        Ensure(size);
        int at = Length;
        Length += size;
        return at;
    }

    /// <summary>Back-patches the length prefix reserved at <paramref name="at"/> with the bytes written since.</summary>
    public void EndLength(int at, int size)
    {
        int len = Length - at - size;
        if (len >= 1 << (8 * size)) throw new InvalidOperationException($"A vector of {len} bytes exceeds its {size}-byte length prefix.");
        for (int i = size - 1; i >= 0; i--, len >>= 8) _buffer[at + i] = (byte)len;
    }

    private static int CheckLength(int len, int max) =>
        len <= max ? len : throw new InvalidOperationException($"A vector of {len} bytes exceeds its maximum of {max}.");

    private void Ensure(int n)
    {
        if (Length + n <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + n));
    }
}
