using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Transport.Core.Wire;

/// <summary>
/// QUIC variable-length integers (RFC 9000 §16): the two most significant bits of the first byte give the
/// length (1, 2, 4 or 8 bytes), the remaining bits hold the value in network byte order, up to 2^62-1.
/// </summary>
public static class VarInt
{
    /// <summary>The largest value a variable-length integer can hold: 2^62-1.</summary>
    public const ulong MaxValue = (1UL << 62) - 1;

    /// <summary>The longest encoding, in bytes.</summary>
    public const int MaxLength = 8;

    /// <summary>The number of bytes the shortest encoding of <paramref name="value"/> takes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds 2^62-1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetLength(ulong value)
    {
        if (value <= 63) return 1;
        if (value <= 16383) return 2;
        if (value <= 1073741823) return 4;
        if (value <= MaxValue) return 8;
        throw new ArgumentOutOfRangeException(nameof(value), value, "A QUIC variable-length integer holds at most 2^62-1.");
    }

    /// <summary>The encoded length announced by a first byte: 1, 2, 4 or 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetLengthFromFirstByte(byte firstByte) => 1 << (firstByte >> 6);

    /// <summary>Writes the shortest encoding of <paramref name="value"/>; false when the destination is too short.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds 2^62-1.</exception>
    public static bool TryWrite(Span<byte> destination, ulong value, out int bytesWritten) =>
        TryWrite(destination, value, GetLength(value), out bytesWritten);

    /// <summary>
    /// Writes <paramref name="value"/> in exactly <paramref name="length"/> bytes (1, 2, 4 or 8), as QUIC allows for
    /// fields whose size is fixed before their value is known (a packet's Length field, say).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 1, 2, 4 or 8, or the value does not fit it.</exception>
    public static bool TryWrite(Span<byte> destination, ulong value, int length, out int bytesWritten)
    {
        if (length is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(length), length, "A variable-length integer is 1, 2, 4 or 8 bytes long.");
        if (GetLength(value) > length)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"The value needs more than {length} byte(s).");
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }
        switch (length)
        {
            case 1: destination[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(value | 0x4000)); break;
            case 4: BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)value | 0x8000_0000u); break;
            default: BinaryPrimitives.WriteUInt64BigEndian(destination, value | 0xC000_0000_0000_0000ul); break;
        }
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes the shortest encoding and returns its length.</summary>
    /// <exception cref="WireFormatException">The destination is too short.</exception>
    public static int Write(Span<byte> destination, ulong value)
    {
        if (!TryWrite(destination, value, out int n))
            throw WireFormatException.NoRoom(GetLength(value), destination.Length);
        return n;
    }

    /// <summary>Reads a variable-length integer from the start of <paramref name="source"/>; false when it is truncated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        if (source.IsEmpty)
        {
            value = 0;
            bytesRead = 0;
            return false;
        }
        int length = GetLengthFromFirstByte(source[0]);
        if (source.Length < length)
        {
            value = 0;
            bytesRead = 0;
            return false;
        }
        value = length switch
        {
            1 => source[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(source) & 0x3FFFu,
            4 => BinaryPrimitives.ReadUInt32BigEndian(source) & 0x3FFF_FFFFu,
            _ => BinaryPrimitives.ReadUInt64BigEndian(source) & 0x3FFF_FFFF_FFFF_FFFFul,
        };
        bytesRead = length;
        return true;
    }

    /// <summary>Reads a variable-length integer from the start of <paramref name="source"/>.</summary>
    /// <exception cref="WireFormatException">The input is truncated.</exception>
    public static ulong Read(ReadOnlySpan<byte> source, out int bytesRead)
    {
        if (!TryRead(source, out ulong value, out bytesRead))
            throw WireFormatException.Truncated(source.IsEmpty ? 1 : GetLengthFromFirstByte(source[0]), source.Length);
        return value;
    }
}
