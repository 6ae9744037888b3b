using System.Net;
using System.Security.Cryptography;
using Transport.Core.Time;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Answers a short-header datagram that matches no connection with a Stateless Reset (RFC 9000 §10.3), without any
/// per-connection state: the token comes from <see cref="StatelessResetTokenGenerator"/> applied to the datagram's
/// Destination Connection ID, whose length is the fixed length the endpoint issues.
/// </summary>
/// <remarks>
/// Size rules: the reset is always smaller than the datagram that triggered it, so two endpoints cannot loop
/// (RFC 9000 §10.3.3), and so never three times larger (RFC 9000 §10.3). A trigger of 43 bytes or fewer gets a reset one
/// byte shorter (RFC 9000 §10.3); a larger one gets a random length from 41 bytes (below which a reset may be
/// recognisable, RFC 9000 §10.3.3) up to the smaller of <see cref="MaximumResetLength"/> and the trigger's length minus
/// one. A trigger shorter than the smallest protected short-header packet (1 + connection ID + 4 bytes of packet
/// number allowance + 16 bytes of header protection sample, RFC 9001 §5.4.2) cannot be a QUIC packet and gets nothing;
/// neither does one shorter than 22 bytes, which leaves no room for a smaller reset of at least 21. The first byte is
/// random with the Fixed Bit set and the Header Form bit clear; then random bytes; then the token. Sends are capped by
/// a <see cref="StatelessResetRateLimiter"/>. Not thread-safe (the rate limiter is not): one per endpoint loop.
/// </remarks>
public sealed class StatelessResetResponder
{
    /// <summary>Below this length a reset might be recognisable as one by an observer (RFC 9000 §10.3.3).</summary>
    public const int IndistinguishableLength = 41;

    /// <summary>A trigger of this many bytes or fewer gets a reset one byte shorter (RFC 9000 §10.3).</summary>
    public const int ShortTriggerLength = 43;

    private readonly StatelessResetTokenGenerator _tokens;
    private readonly StatelessResetRateLimiter _limiter;

    /// <summary>A responder for connection IDs of <paramref name="localConnectionIdLength"/> bytes.</summary>
    /// <param name="tokens">The generator whose tokens the endpoint advertised for its connection IDs.</param>
    /// <param name="localConnectionIdLength">The length of every connection ID the endpoint issues (1 to 20).</param>
    /// <param name="limiter">The rate limiter (default limits when null).</param>
    /// <param name="maximumResetLength">The longest reset to send (at least 41).</param>
    /// <exception cref="ArgumentException">A bad length.</exception>
    public StatelessResetResponder(StatelessResetTokenGenerator tokens, int localConnectionIdLength,
        StatelessResetRateLimiter? limiter = null, int maximumResetLength = 64)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (localConnectionIdLength is < 1 or > Transport.Core.Wire.ConnectionId.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(localConnectionIdLength), localConnectionIdLength, "A routable connection ID is 1 to 20 bytes.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumResetLength, IndistinguishableLength);
        _tokens = tokens;
        _limiter = limiter ?? new StatelessResetRateLimiter();
        LocalConnectionIdLength = localConnectionIdLength;
        MaximumResetLength = maximumResetLength;
    }

    /// <summary>The length of the connection IDs the endpoint issues.</summary>
    public int LocalConnectionIdLength { get; }

    /// <summary>The longest reset this responder sends.</summary>
    public int MaximumResetLength { get; }

    /// <summary>The smallest datagram that gets a reset: max(22, 1 + connection ID length + 20).</summary>
    public int MinimumTriggerLength => Math.Max(StatelessResetPacket.MinimumLength + 1, 1 + LocalConnectionIdLength + 4 + 16);

    /// <summary>
    /// Decides whether to answer <paramref name="datagram"/> (which matched no connection) from <paramref name="remote"/>
    /// and, if so, writes the reset into <paramref name="destination"/>.
    /// </summary>
    public StatelessResetOutcome TryWrite(Instant now, ReadOnlySpan<byte> datagram, SocketAddress remote, Span<byte> destination, out int bytesWritten)
        => TryWrite(now, datagram, RemoteAddressKey.From(remote), destination, out bytesWritten);

    /// <summary>As <see cref="TryWrite(Instant, ReadOnlySpan{byte}, SocketAddress, Span{byte}, out int)"/> for an <see cref="IPEndPoint"/>.</summary>
    public StatelessResetOutcome TryWrite(Instant now, ReadOnlySpan<byte> datagram, IPEndPoint remote, Span<byte> destination, out int bytesWritten)
        => TryWrite(now, datagram, RemoteAddressKey.From(remote), destination, out bytesWritten);

    /// <summary>The length of the reset for a trigger of <paramref name="triggerLength"/> bytes, or 0 when there is none.</summary>
    public int ChooseResetLength(int triggerLength)
    {
        if (triggerLength < MinimumTriggerLength) return 0;
        if (triggerLength <= ShortTriggerLength) return triggerLength - 1; // RFC 9000 §10.3
        int max = Math.Min(MaximumResetLength, triggerLength - 1);        // RFC 9000 §10.3.3: smaller than the trigger
        return RandomNumberGenerator.GetInt32(IndistinguishableLength, max + 1);
    }

    private StatelessResetOutcome TryWrite(Instant now, ReadOnlySpan<byte> datagram, RemoteAddressKey remote, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (datagram.IsEmpty || PacketHeaderBits.IsLongHeader(datagram[0])) return StatelessResetOutcome.NotShortHeader;
        int length = ChooseResetLength(datagram.Length);
        if (length == 0) return StatelessResetOutcome.TooSmall;
        if (destination.Length < length) return StatelessResetOutcome.BufferTooSmall;
        if (!_limiter.TryAcquire(now, remote)) return StatelessResetOutcome.RateLimited;
        Span<byte> token = stackalloc byte[StatelessResetToken.Length];
        _tokens.WriteToken(datagram.Slice(1, LocalConnectionIdLength), token);
        StatelessResetPacket.Write(destination, length, token);
        bytesWritten = length;
        return StatelessResetOutcome.Send;
    }
}
