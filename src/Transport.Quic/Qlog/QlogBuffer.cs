using System.Buffers;

namespace Transport.Quic.Qlog;

/// <summary>
/// A growable byte buffer the JSON writer writes records into. Unlike <see cref="ArrayBufferWriter{T}"/> it can be cut
/// back to a record boundary, so that a record that failed half-way never reaches the file.
/// </summary>
internal sealed class QlogBuffer : IBufferWriter<byte>
{
    private byte[] _buffer;

    public QlogBuffer(int initialCapacity) => _buffer = new byte[initialCapacity];

    public int WrittenCount { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, WrittenCount);

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - WrittenCount))
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the buffer.");
        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(WrittenCount);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(WrittenCount);
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[WrittenCount++] = value;
    }

    /// <summary>Forgets everything written after <paramref name="count"/> bytes.</summary>
    public void Truncate(int count) => WrittenCount = Math.Clamp(count, 0, WrittenCount);

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - WrittenCount >= needed) return;
        int size = Math.Max(_buffer.Length * 2, WrittenCount + needed);
        Array.Resize(ref _buffer, size);
    }
}
