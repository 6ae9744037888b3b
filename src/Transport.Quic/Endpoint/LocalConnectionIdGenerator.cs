using Transport.Core.Wire;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Makes the connection IDs a server issues: <see cref="Length"/> bytes from a cryptographically secure random source
/// (RFC 9000 §5.1: unlinkable, and unpredictable so an attacker cannot aim packets at a connection). They encode
/// nothing, so every server of a cluster needs the full routing table; a load balancer that routes by server ID would
/// need an encoding (QUIC-LB), which this does not attempt. Collisions are the router's to reject
/// (<see cref="ConnectionIdRouter{THandle}.IssueConnectionId"/> draws again). Thread-safe.
/// </summary>
public sealed class LocalConnectionIdGenerator
{
    /// <summary>A generator of <paramref name="length"/>-byte connection IDs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length outside 1 to 20 (a zero-length ID cannot route).</exception>
    public LocalConnectionIdGenerator(int length = 8)
    {
        if (length is < 1 or > ConnectionId.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, "A routable connection ID is 1 to 20 bytes.");
        Length = length;
    }

    /// <summary>The length of every connection ID generated.</summary>
    public int Length { get; }

    /// <summary>A new random connection ID.</summary>
    public ConnectionId Next() => ConnectionId.NewRandom(Length);
}
