using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Transport.Core.Wire;

/// <summary>
/// Reads network-byte-order values from a span, front to back, with bounds checks. Each value has a
/// <c>TryRead*</c> form that returns false on truncated input (the position is then unchanged) and a <c>Read*</c>
/// form that throws <see cref="WireFormatException"/>. Allocates nothing.
/// </summary>
public ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    /// <summary>Starts reading at the beginning of <paramref name="buffer"/>.</summary>
    public SpanReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool IsEmpty => Position >= _buffer.Length;

    /// <summary>The whole buffer the reader was created over.</summary>
    public readonly ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>The bytes not yet consumed.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer.Slice(Position);

    /// <summary>Skips <paramref name="count"/> bytes; false (and nothing skipped) when fewer remain.</summary>
    public bool TrySkip(int count)
    {
        if ((uint)count > (uint)Remaining) return false;
        Position += count;
        return true;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    /// <exception cref="WireFormatException">Fewer bytes remain.</exception>
    public void Skip(int count)
    {
        if (!TrySkip(count)) throw WireFormatException.Truncated(count, Remaining);
    }

    /// <summary>Reads one byte.</summary>
    public bool TryReadByte(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }
        value = _buffer[Position++];
        return true;
    }

    /// <summary>Reads a big-endian 16-bit integer.</summary>
    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Position));
        Position += 2;
        return true;
    }

    /// <summary>Reads a big-endian 24-bit integer (TLS handshake message lengths).</summary>
    public bool TryReadUInt24(out uint value)
    {
        if (Remaining < 3)
        {
            value = 0;
            return false;
        }
        ReadOnlySpan<byte> s = _buffer.Slice(Position, 3);
        value = (uint)(s[0] << 16 | s[1] << 8 | s[2]);
        Position += 3;
        return true;
    }

    /// <summary>Reads a big-endian 32-bit integer.</summary>
    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(Position));
        Position += 4;
        return true;
    }

    /// <summary>Reads a big-endian 64-bit integer.</summary>
    public bool TryReadUInt64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(Position));
        Position += 8;
        return true;
    }

    /// <summary>Reads a QUIC variable-length integer (RFC 9000 §16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadVarInt(out ulong value)
    {
        if (!VarInt.TryRead(_buffer.Slice(Position), out value, out int n)) return false;
        Position += n;
        return true;
    }

    /// <summary>Reads <paramref name="count"/> bytes as a slice of the underlying buffer (no copy).</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if ((uint)count > (uint)Remaining)
        {
            value = default;
            return false;
        }
        value = _buffer.Slice(Position, count);
        Position += count;
        return true;
    }

    /// <summary>Reads a slice prefixed by its length as a QUIC variable-length integer.</summary>
    public bool TryReadVarIntLengthPrefixed(out ReadOnlySpan<byte> value)
    {
        int start = Position;
        if (TryReadVarInt(out ulong length) && length <= (ulong)Remaining)
        {
            value = _buffer.Slice(Position, (int)length);
            Position += (int)length;
            return true;
        }
        Position = start;
        value = default;
        return false;
    }

    /// <summary>Reads a slice prefixed by a one-byte length.</summary>
    public bool TryReadUInt8LengthPrefixed(out ReadOnlySpan<byte> value)
    {
        if (Remaining >= 1 && _buffer[Position] <= Remaining - 1)
        {
            int length = _buffer[Position];
            value = _buffer.Slice(Position + 1, length);
            Position += 1 + length;
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>Reads a slice prefixed by a big-endian two-byte length (TLS vectors).</summary>
    public bool TryReadUInt16LengthPrefixed(out ReadOnlySpan<byte> value)
    {
        if (Remaining >= 2)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Position));
            if (length <= Remaining - 2)
            {
                value = _buffer.Slice(Position + 2, length);
                Position += 2 + length;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>Reads a big-endian three-byte length and that many bytes (TLS handshake messages and certificates).</summary>
    public bool TryReadUInt24LengthPrefixed(out ReadOnlySpan<byte> value)
    {
        int start = Position;
        if (TryReadUInt24(out uint length) && length <= (uint)Remaining)
        {
            value = _buffer.Slice(Position, (int)length);
            Position += (int)length;
            return true;
        }
        Position = start;
        value = default;
        return false;
    }

    /// <summary>
    /// Reads a connection ID prefixed by its one-byte length, as in QUIC long headers. False when truncated or when the
    /// length exceeds <paramref name="maxLength"/> (20 in QUIC v1, RFC 9000 §17.2; 255 for RFC 8999 invariants).
    /// </summary>
    public bool TryReadConnectionId(out ConnectionId value, int maxLength = ConnectionId.MaxLength)
    {
        if (Remaining >= 1)
        {
            int length = _buffer[Position];
            if (length <= maxLength && length <= ConnectionId.MaxLength && length <= Remaining - 1)
            {
                value = new ConnectionId(_buffer.Slice(Position + 1, length));
                Position += 1 + length;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>Reads a connection ID of a length known from context (short headers).</summary>
    public bool TryReadConnectionId(int length, out ConnectionId value)
    {
        if ((uint)length <= ConnectionId.MaxLength && TryReadBytes(length, out ReadOnlySpan<byte> bytes))
        {
            value = new ConnectionId(bytes);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>Reads one byte.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public byte ReadByte() => TryReadByte(out byte v) ? v : throw WireFormatException.Truncated(1, Remaining);

    /// <summary>Reads a big-endian 16-bit integer.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public ushort ReadUInt16() => TryReadUInt16(out ushort v) ? v : throw WireFormatException.Truncated(2, Remaining);

    /// <summary>Reads a big-endian 24-bit integer.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public uint ReadUInt24() => TryReadUInt24(out uint v) ? v : throw WireFormatException.Truncated(3, Remaining);

    /// <summary>Reads a big-endian 32-bit integer.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public uint ReadUInt32() => TryReadUInt32(out uint v) ? v : throw WireFormatException.Truncated(4, Remaining);

    /// <summary>Reads a big-endian 64-bit integer.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public ulong ReadUInt64() => TryReadUInt64(out ulong v) ? v : throw WireFormatException.Truncated(8, Remaining);

    /// <summary>Reads a variable-length integer.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public ulong ReadVarInt()
    {
        if (TryReadVarInt(out ulong v)) return v;
        throw WireFormatException.Truncated(IsEmpty ? 1 : VarInt.GetLengthFromFirstByte(_buffer[Position]), Remaining);
    }

    /// <summary>Reads <paramref name="count"/> bytes.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public ReadOnlySpan<byte> ReadBytes(int count) =>
        TryReadBytes(count, out ReadOnlySpan<byte> v) ? v : throw WireFormatException.Truncated(count, Remaining);

    /// <summary>Reads a varint-length-prefixed slice.</summary><exception cref="WireFormatException">Input truncated.</exception>
    public ReadOnlySpan<byte> ReadVarIntLengthPrefixed() =>
        TryReadVarIntLengthPrefixed(out ReadOnlySpan<byte> v) ? v : throw new WireFormatException("Input truncated: a length-prefixed field runs past the end.");

    /// <summary>Reads a one-byte-length-prefixed connection ID.</summary><exception cref="WireFormatException">Input truncated or length over the limit.</exception>
    public ConnectionId ReadConnectionId(int maxLength = ConnectionId.MaxLength) =>
        TryReadConnectionId(out ConnectionId v, maxLength) ? v : throw new WireFormatException("Connection ID truncated or longer than allowed.");
}
