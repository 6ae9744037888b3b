using System.Net;
using Transport.Core.Security;
using Transport.Core.Time;
using Transport.Core.Wire;

namespace Transport.Quic.Connection;

/// <summary>
/// One network path of a connection (RFC 9000 §9): the peer's address, the local address (null: the driver's default
/// socket), the Destination Connection ID used on it, its anti-amplification counters (RFC 9000 §8, §9.3.1) and the
/// state of its path validation (RFC 9000 §8.2): the challenge data sent, the retransmission timer and the deadline.
/// The active path's amplification counters live in the connection while it is active.
/// </summary>
internal sealed class PathState
{
    /// <summary>How many challenge values sent on one path are remembered (a response to any of them validates it).</summary>
    private const int RememberedChallenges = 4;

    private readonly ulong[] _challenges = new ulong[RememberedChallenges];
    private int _challengeCount;

    public PathState(IPEndPoint remote, IPEndPoint? local)
    {
        Remote = remote;
        Local = local;
    }

    /// <summary>The peer's address on this path.</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The local address datagrams of this path leave from (null: the default one).</summary>
    public IPEndPoint? Local { get; }

    /// <summary>The peer's address was validated on this path (handshake, Retry, or PATH_RESPONSE).</summary>
    public bool IsValidated { get; set; }

    /// <summary>Bytes received from this path while it is not active (RFC 9000 §8: the 3x limit).</summary>
    public long BytesReceived { get; set; }

    /// <summary>Bytes sent on this path while it is not active.</summary>
    public long BytesSent { get; set; }

    /// <summary>The Destination Connection ID used on this path while it is not the active path.</summary>
    public ConnectionId DestinationConnectionId { get; set; }

    /// <summary>The sequence number of <see cref="DestinationConnectionId"/>.</summary>
    public long DestinationSequence { get; set; }

    /// <summary>PATH_RESPONSE payloads to send on this path (RFC 9000 §8.2.2: on the path the challenge arrived on).</summary>
    public Queue<ulong> PendingResponses { get; } = new();

    /// <summary>Path validation is under way.</summary>
    public bool IsValidating { get; private set; }

    /// <summary>A PATH_CHALLENGE is due on this path.</summary>
    public bool ChallengePending { get; set; }

    /// <summary>When the next PATH_CHALLENGE is due if no response came (RFC 9000 §8.2.1: not more often than an Initial would be resent).</summary>
    public Instant? NextChallengeAt { get; set; }

    /// <summary>When validation is abandoned (RFC 9000 §8.2.4).</summary>
    public Instant? ValidationDeadline { get; private set; }

    /// <summary>PATH_CHALLENGE frames sent in the current validation.</summary>
    public int ChallengesSent { get; private set; }

    /// <summary>The last time a packet from this path was processed (to pick the path to forget first).</summary>
    public Instant LastActivity { get; set; }

    /// <summary>Something is waiting to be sent on this path outside the ordinary packets.</summary>
    public bool HasPathFramesToSend => ChallengePending || PendingResponses.Count > 0;

    /// <summary>Starts (or restarts) path validation, abandoned at <paramref name="deadline"/>.</summary>
    public void StartValidation(Instant deadline)
    {
        IsValidating = true;
        ChallengePending = true;
        NextChallengeAt = null;
        ValidationDeadline = deadline;
        ChallengesSent = 0;
        _challengeCount = 0;
    }

    /// <summary>Draws the 8 unpredictable bytes of a new PATH_CHALLENGE (RFC 9000 §8.2.1) and remembers them.</summary>
    public ulong NewChallenge(Instant retransmitAt)
    {
        ulong value = SecureRandom.GetUInt64();
        _challenges[_challengeCount % RememberedChallenges] = value;
        _challengeCount++;
        ChallengesSent++;
        ChallengePending = false;
        NextChallengeAt = retransmitAt;
        return value;
    }

    /// <summary>True when <paramref name="data"/> echoes a challenge sent in the current validation (RFC 9000 §8.2.3).</summary>
    public bool Matches(ulong data)
    {
        if (!IsValidating) return false;
        int n = Math.Min(_challengeCount, RememberedChallenges);
        bool match = false;
        for (int i = 0; i < n; i++) match |= _challenges[i] == data;
        return match;
    }

    /// <summary>Ends validation (success or abandonment).</summary>
    public void StopValidation()
    {
        IsValidating = false;
        ChallengePending = false;
        NextChallengeAt = null;
        ValidationDeadline = null;
        _challengeCount = 0;
    }

    /// <summary>True when this path is (<paramref name="remote"/>, <paramref name="local"/>).</summary>
    public bool Is(IPEndPoint remote, IPEndPoint? local) =>
        SameEndPoint(Remote, remote) && (Local is null ? local is null : local is not null && SameEndPoint(Local, local));

    /// <summary>Endpoint equality that treats an IPv4-mapped IPv6 address (dual-mode sockets) as its IPv4 form.</summary>
    public static bool SameEndPoint(IPEndPoint a, IPEndPoint b)
    {
        if (a.Equals(b)) return true;
        if (a.Port != b.Port) return false;
        IPAddress x = a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address;
        IPAddress y = b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address;
        return x.Equals(y);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Local?.ToString() ?? "default"} -> {Remote}{(IsValidated ? " (validated)" : IsValidating ? " (validating)" : "")}";
}
