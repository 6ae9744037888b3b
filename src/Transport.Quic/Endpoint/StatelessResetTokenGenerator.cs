using System.Security.Cryptography;
using Transport.Core.Wire;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Derives the Stateless Reset Token of a connection ID from a static key (RFC 9000 §10.3.2): HMAC-SHA256(key,
/// connection ID) truncated to 16 bytes. The same key and connection ID always give the same token, so an endpoint
/// that lost a connection's state can still answer its packets with a Stateless Reset the peer recognises. Use the
/// key for nothing else; share it among servers behind one address so any of them can reset (RFC 9000 §10.3.2). This
/// works because the endpoint issues connection IDs of one fixed length (so the DCID of a short header is known
/// without state). Thread-safe; allocates nothing per call.
/// </summary>
public sealed class StatelessResetTokenGenerator
{
    /// <summary>The length of the static key.</summary>
    public const int KeyLength = 32;

    private readonly byte[] _key;

    /// <summary>A generator with a fresh random key (tokens change when the process restarts).</summary>
    public StatelessResetTokenGenerator() : this(RandomNumberGenerator.GetBytes(KeyLength)) { }

    /// <summary>A generator with the given 32-byte static key.</summary>
    /// <exception cref="ArgumentException">A key not 32 bytes.</exception>
    public StatelessResetTokenGenerator(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength) throw new ArgumentException($"A stateless reset key is {KeyLength} bytes; got {key.Length}.", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>Writes the 16-byte token of <paramref name="connectionId"/> into <paramref name="token"/>.</summary>
    /// <exception cref="ArgumentException">A connection ID over 20 bytes or a destination under 16 bytes.</exception>
    public void WriteToken(ReadOnlySpan<byte> connectionId, Span<byte> token)
    {
        if (connectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException($"A connection ID is at most {ConnectionId.MaxLength} bytes; got {connectionId.Length}.", nameof(connectionId));
        if (token.Length < StatelessResetToken.Length)
            throw new ArgumentException($"The token needs {StatelessResetToken.Length} bytes.", nameof(token));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, connectionId, mac);
        mac.Slice(0, StatelessResetToken.Length).CopyTo(token);
    }

    /// <summary>The token of <paramref name="connectionId"/>, e.g. for a NEW_CONNECTION_ID frame or the stateless_reset_token transport parameter.</summary>
    public StatelessResetToken GetToken(ConnectionId connectionId)
    {
        Span<byte> token = stackalloc byte[StatelessResetToken.Length];
        WriteToken(connectionId.Span, token);
        return new StatelessResetToken(token);
    }
}
