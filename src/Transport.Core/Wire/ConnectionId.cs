using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Transport.Core.Security;

namespace Transport.Core.Wire;

/// <summary>
/// A QUIC connection ID (RFC 9000 §5.1): 0 to 20 opaque bytes, held inline (no allocation), with value equality and a
/// per-process randomized hash fit for routing dictionaries that a peer cannot flood.
/// </summary>
public readonly struct ConnectionId : IEquatable<ConnectionId>
{
    /// <summary>The longest connection ID QUIC v1 allows (RFC 9000 §17.2).</summary>
    public const int MaxLength = 20;

    /// <summary>The zero-length connection ID.</summary>
    public static readonly ConnectionId Empty;

    private readonly Bytes20 _bytes;
    private readonly byte _length;

    /// <summary>Copies <paramref name="bytes"/> into a connection ID.</summary>
    /// <exception cref="ArgumentException">More than 20 bytes.</exception>
    public ConnectionId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength)
            throw new ArgumentException($"A connection ID is at most {MaxLength} bytes; got {bytes.Length}.", nameof(bytes));
        _bytes = default;
        bytes.CopyTo(_bytes);
        _length = (byte)bytes.Length;
    }

    /// <summary>The length in bytes, 0 to 20.</summary>
    public int Length => _length;

    /// <summary>The bytes, as a span over this value's own storage (copy the struct into a local to keep them).</summary>
    public ReadOnlySpan<byte> Span =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _bytes[0]), _length);

    /// <summary>A connection ID of <paramref name="length"/> bytes from a cryptographically secure random source.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not within 0 to 20.</exception>
    public static ConnectionId NewRandom(int length = 8)
    {
        if ((uint)length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A connection ID is 0 to {MaxLength} bytes long.");
        Span<byte> tmp = stackalloc byte[MaxLength];
        SecureRandom.Fill(tmp.Slice(0, length));
        return new ConnectionId(tmp.Slice(0, length));
    }

    /// <summary>Copies the bytes into <paramref name="destination"/> and returns how many were written.</summary>
    /// <exception cref="ArgumentException">The destination is too short.</exception>
    public int CopyTo(Span<byte> destination)
    {
        Span.CopyTo(destination);
        return _length;
    }

    /// <summary>The bytes as a new array.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <inheritdoc />
    public bool Equals(ConnectionId other) => _length == other._length && Span.SequenceEqual(other.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ConnectionId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode(); // randomized per process: a peer cannot choose colliding IDs
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

#pragma warning disable CS1591
    public static bool operator ==(ConnectionId a, ConnectionId b) => a.Equals(b);
    public static bool operator !=(ConnectionId a, ConnectionId b) => !a.Equals(b);
#pragma warning restore CS1591

    /// <summary>Lower-case hexadecimal, as in qlog and key logs; empty for the zero-length ID.</summary>
    public override string ToString() => Convert.ToHexStringLower(Span);

    [InlineArray(MaxLength)]
    private struct Bytes20
    {
        private byte _element0;
    }
}
