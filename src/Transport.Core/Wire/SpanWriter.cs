using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Transport.Core.Wire;

/// <summary>
/// Writes network-byte-order values into a span, front to back, with bounds checks. Each value has a
/// <c>TryWrite*</c> form that returns false when the buffer is too small (nothing is written then) and a <c>Write*</c>
/// form that throws <see cref="WireFormatException"/>. Allocates nothing.
/// </summary>
public ref struct SpanWriter
{
    private readonly Span<byte> _buffer;

    /// <summary>Starts writing at the beginning of <paramref name="buffer"/>.</summary>
    public SpanWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public int Position { get; private set; }

    /// <summary>Room left, in bytes.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>The bytes written so far.</summary>
    public readonly Span<byte> Written => _buffer.Slice(0, Position);

    /// <summary>The room left, for writing in place; call <see cref="Advance"/> after.</summary>
    public readonly Span<byte> Free => _buffer.Slice(Position);

    /// <summary>Marks <paramref name="count"/> bytes of <see cref="Free"/> as written.</summary>
    /// <exception cref="WireFormatException">Fewer bytes remain.</exception>
    public void Advance(int count)
    {
        if ((uint)count > (uint)Remaining) throw WireFormatException.NoRoom(count, Remaining);
        Position += count;
    }

    /// <summary>Writes one byte.</summary>
    public bool TryWriteByte(byte value)
    {
        if (Remaining < 1) return false;
        _buffer[Position++] = value;
        return true;
    }

    /// <summary>Writes a big-endian 16-bit integer.</summary>
    public bool TryWriteUInt16(ushort value)
    {
        if (Remaining < 2) return false;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.Slice(Position), value);
        Position += 2;
        return true;
    }

    /// <summary>Writes a big-endian 24-bit integer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value needs more than 24 bits.</exception>
    public bool TryWriteUInt24(uint value)
    {
        if (value > 0xFF_FFFF) throw new ArgumentOutOfRangeException(nameof(value), value, "A 24-bit field holds at most 16777215.");
        if (Remaining < 3) return false;
        _buffer[Position] = (byte)(value >> 16);
        _buffer[Position + 1] = (byte)(value >> 8);
        _buffer[Position + 2] = (byte)value;
        Position += 3;
        return true;
    }

    /// <summary>Writes a big-endian 32-bit integer.</summary>
    public bool TryWriteUInt32(uint value)
    {
        if (Remaining < 4) return false;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.Slice(Position), value);
        Position += 4;
        return true;
    }

    /// <summary>Writes a big-endian 64-bit integer.</summary>
    public bool TryWriteUInt64(ulong value)
    {
        if (Remaining < 8) return false;
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.Slice(Position), value);
        Position += 8;
        return true;
    }

    /// <summary>Writes the shortest variable-length encoding of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds 2^62-1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteVarInt(ulong value)
    {
        if (!VarInt.TryWrite(_buffer.Slice(Position), value, out int n)) return false;
        Position += n;
        return true;
    }

    /// <summary>Writes <paramref name="value"/> as a variable-length integer of exactly <paramref name="length"/> bytes.</summary>
    public bool TryWriteVarInt(ulong value, int length)
    {
        if (!VarInt.TryWrite(_buffer.Slice(Position), value, length, out int n)) return false;
        Position += n;
        return true;
    }

    /// <summary>Copies <paramref name="value"/> in.</summary>
    public bool TryWriteBytes(scoped ReadOnlySpan<byte> value)
    {
        if (value.Length > Remaining) return false;
        value.CopyTo(_buffer.Slice(Position));
        Position += value.Length;
        return true;
    }

    /// <summary>Writes <paramref name="value"/> prefixed by its length as a variable-length integer.</summary>
    public bool TryWriteVarIntLengthPrefixed(scoped ReadOnlySpan<byte> value)
    {
        if (VarInt.GetLength((ulong)value.Length) + value.Length > Remaining) return false;
        TryWriteVarInt((ulong)value.Length);
        return TryWriteBytes(value);
    }

    /// <summary>Writes <paramref name="value"/> prefixed by a one-byte length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is longer than 255 bytes.</exception>
    public bool TryWriteUInt8LengthPrefixed(scoped ReadOnlySpan<byte> value)
    {
        if (value.Length > byte.MaxValue) throw new ArgumentOutOfRangeException(nameof(value), value.Length, "A one-byte length prefix allows at most 255 bytes.");
        if (1 + value.Length > Remaining) return false;
        TryWriteByte((byte)value.Length);
        return TryWriteBytes(value);
    }

    /// <summary>Writes <paramref name="value"/> prefixed by a big-endian two-byte length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is longer than 65535 bytes.</exception>
    public bool TryWriteUInt16LengthPrefixed(scoped ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(value), value.Length, "A two-byte length prefix allows at most 65535 bytes.");
        if (2 + value.Length > Remaining) return false;
        TryWriteUInt16((ushort)value.Length);
        return TryWriteBytes(value);
    }

    /// <summary>Writes a connection ID prefixed by its one-byte length (QUIC long headers).</summary>
    public bool TryWriteConnectionId(in ConnectionId value) => TryWriteUInt8LengthPrefixed(value.Span);

    /// <summary>Writes a connection ID's bytes with no length (short headers).</summary>
    public bool TryWriteConnectionIdBytes(in ConnectionId value) => TryWriteBytes(value.Span);

    /// <summary>Writes one byte.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteByte(byte value) { if (!TryWriteByte(value)) throw WireFormatException.NoRoom(1, Remaining); }

    /// <summary>Writes a big-endian 16-bit integer.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteUInt16(ushort value) { if (!TryWriteUInt16(value)) throw WireFormatException.NoRoom(2, Remaining); }

    /// <summary>Writes a big-endian 24-bit integer.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteUInt24(uint value) { if (!TryWriteUInt24(value)) throw WireFormatException.NoRoom(3, Remaining); }

    /// <summary>Writes a big-endian 32-bit integer.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteUInt32(uint value) { if (!TryWriteUInt32(value)) throw WireFormatException.NoRoom(4, Remaining); }

    /// <summary>Writes a big-endian 64-bit integer.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteUInt64(ulong value) { if (!TryWriteUInt64(value)) throw WireFormatException.NoRoom(8, Remaining); }

    /// <summary>Writes a variable-length integer.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteVarInt(ulong value) { if (!TryWriteVarInt(value)) throw WireFormatException.NoRoom(VarInt.GetLength(value), Remaining); }

    /// <summary>Writes a variable-length integer of a fixed length.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteVarInt(ulong value, int length) { if (!TryWriteVarInt(value, length)) throw WireFormatException.NoRoom(length, Remaining); }

    /// <summary>Copies bytes in.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteBytes(scoped ReadOnlySpan<byte> value) { if (!TryWriteBytes(value)) throw WireFormatException.NoRoom(value.Length, Remaining); }

    /// <summary>Writes a varint-length-prefixed slice.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteVarIntLengthPrefixed(scoped ReadOnlySpan<byte> value)
    {
        if (!TryWriteVarIntLengthPrefixed(value)) throw WireFormatException.NoRoom(VarInt.GetLength((ulong)value.Length) + value.Length, Remaining);
    }

    /// <summary>Writes a length-prefixed connection ID.</summary><exception cref="WireFormatException">No room.</exception>
    public void WriteConnectionId(in ConnectionId value) { if (!TryWriteConnectionId(value)) throw WireFormatException.NoRoom(1 + value.Length, Remaining); }
}
