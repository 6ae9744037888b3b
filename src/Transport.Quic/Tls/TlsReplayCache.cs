namespace Transport.Quic.Tls;

/// <summary>
/// 0-RTT anti-replay (RFC 8446 §8): each session ticket carries 0-RTT at most once. The server remembers the identity of
/// every ticket it accepted early data with until the ticket expires; a second use still resumes but gets its early data
/// rejected. When the cache is full of unexpired entries it rejects early data rather than forget (fail safe).
/// </summary>
/// <remarks>
/// The cache is per process: servers sharing ticket keys across machines need a shared store or per-server keys, or
/// they accept a replay window across machines. Combined with the ticket-age window (<see cref="TlsServerOptions.MaxTicketAgeSkew"/>)
/// this follows RFC 8446 §8.1 (single-use tickets) and §8.3 (freshness checks).
/// </remarks>
public sealed class TlsReplayCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new();

    /// <summary>A cache holding at most <paramref name="capacity"/> unexpired ticket identities.</summary>
    /// <exception cref="ArgumentOutOfRangeException">capacity is not positive.</exception>
    public TlsReplayCache(int capacity = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>The most identities remembered at once.</summary>
    public int Capacity { get; }

    /// <summary>Records a first use; false when the identity was used before (a replay) or the cache is full.</summary>
    internal bool TryRegister(ReadOnlySpan<byte> id, DateTimeOffset now, DateTimeOffset expiry)
    {
        string key = Convert.ToBase64String(id);
        lock (_lock)
        {
            if (_seen.TryGetValue(key, out DateTimeOffset until) && until > now) return false;
            if (_seen.Count >= Capacity)
            {
                List<string>? dead = null;
                foreach (var kv in _seen) if (kv.Value <= now) (dead ??= new()).Add(kv.Key);
                if (dead is not null) foreach (string d in dead) _seen.Remove(d);
                if (_seen.Count >= Capacity) return false;
            }
            _seen[key] = expiry;
            return true;
        }
    }
}
