using System.Security.Cryptography;

namespace Transport.Quic.Packets;

/// <summary>
/// The Stateless Reset layout (RFC 9000 §10.3): a datagram that looks like a short-header packet, Fixed Bit set,
/// at least 38 unpredictable bits, ending in a 16-byte Stateless Reset Token. Building and spotting the token only;
/// comparing tokens (in constant time) and the size rules for when to send one belong to the endpoint.
/// </summary>
public static class StatelessResetPacket
{
    /// <summary>The token length.</summary>
    public const int TokenLength = 16;

    /// <summary>The smallest Stateless Reset: 5 bytes carrying 38 unpredictable bits, then the token (RFC 9000 §10.3).</summary>
    public const int MinimumLength = 5 + TokenLength;

    /// <summary>
    /// Writes a Stateless Reset of exactly <paramref name="length"/> bytes: first byte 0b01xxxxxx, random bytes, then
    /// <paramref name="token"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A token not 16 bytes, or a length below 21 or above the destination.</exception>
    public static void Write(Span<byte> destination, int length, ReadOnlySpan<byte> token)
    {
        if (token.Length != TokenLength) throw new ArgumentException($"A stateless reset token is 16 bytes; got {token.Length}.", nameof(token));
        if (length < MinimumLength || length > destination.Length)
            throw new ArgumentException($"A Stateless Reset is {MinimumLength} bytes or more and must fit the destination ({destination.Length}); got {length}.", nameof(length));
        Span<byte> packet = destination.Slice(0, length);
        RandomNumberGenerator.Fill(packet.Slice(0, length - TokenLength));
        packet[0] = (byte)(PacketHeaderBits.FixedBit | (packet[0] & 0x3f));
        token.CopyTo(packet.Slice(length - TokenLength));
    }

    /// <summary>
    /// The candidate Stateless Reset Token of a received datagram: its last 16 bytes, when the datagram is at least
    /// 21 bytes and starts with a short header (RFC 9000 §10.3.1). False otherwise.
    /// </summary>
    public static bool TryGetToken(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> token)
    {
        token = default;
        if (datagram.Length < MinimumLength || PacketHeaderBits.IsLongHeader(datagram[0])) return false;
        token = datagram.Slice(datagram.Length - TokenLength);
        return true;
    }
}
