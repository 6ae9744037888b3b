using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// A 16-byte Stateless Reset Token (RFC 9000 §10.3), held inline. Compare with <see cref="FixedTimeEquals"/> or
/// <see cref="MatchesAny"/>, which do not leak the token through timing (RFC 9000 §10.3.1).
/// </summary>
public readonly struct StatelessResetToken
{
    /// <summary>The token length.</summary>
    public const int Length = StatelessResetPacket.TokenLength;

    private readonly Bytes16 _bytes;

    /// <summary>Copies a token.</summary>
    /// <exception cref="ArgumentException">Not 16 bytes.</exception>
    public StatelessResetToken(ReadOnlySpan<byte> token)
    {
        if (token.Length != Length) throw new ArgumentException($"A stateless reset token is {Length} bytes; got {token.Length}.", nameof(token));
        _bytes = default;
        token.CopyTo(_bytes);
    }

    /// <summary>The 16 bytes (a view into this value: copy the struct into a local to keep them).</summary>
    public ReadOnlySpan<byte> Span => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _bytes[0]), Length);

    /// <summary>True when <paramref name="candidate"/> is this token, compared in constant time.</summary>
    public bool FixedTimeEquals(ReadOnlySpan<byte> candidate) => CryptographicOperations.FixedTimeEquals(Span, candidate);

    /// <summary>
    /// True when <paramref name="datagram"/> is a Stateless Reset carrying one of <paramref name="tokens"/>: it is at
    /// least 21 bytes, starts like a short header, and its last 16 bytes equal a token (RFC 9000 §10.3.1). Every token
    /// is compared, in constant time, whatever matches. Call it only for a datagram that could not be processed
    /// otherwise, with the tokens of the connection IDs the peer issued and that are not retired.
    /// </summary>
    public static bool MatchesAny(ReadOnlySpan<byte> datagram, ReadOnlySpan<StatelessResetToken> tokens)
    {
        if (!StatelessResetPacket.TryGetToken(datagram, out ReadOnlySpan<byte> candidate)) return false;
        bool match = false;
        foreach (ref readonly StatelessResetToken token in tokens)
            match |= CryptographicOperations.FixedTimeEquals(token.Span, candidate);
        return match;
    }

    /// <summary>Lower-case hexadecimal.</summary>
    public override string ToString() => Convert.ToHexStringLower(Span);

    [InlineArray(Length)]
    private struct Bytes16
    {
        private byte _element0;
    }
}
