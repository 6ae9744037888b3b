using Transport.Core.Time;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Token buckets that cap how many Stateless Resets an endpoint sends (RFC 9000 §10.3.3: "An endpoint can remember the
/// number of Stateless Resets that it has sent and stop generating new Stateless Resets once a limit is reached. Using
/// separate limits for different remote addresses will ensure that Stateless Resets can be used to close connections
/// when other peers or connections have exhausted limits."). One bucket for the whole endpoint and a fixed table of
/// per-address buckets indexed by a keyed hash of the remote address (constant memory, no allocation; two addresses
/// sharing a slot share a limit). Pure: time comes in as an <see cref="Instant"/>. Not thread-safe: one per endpoint loop.
/// </summary>
public sealed class StatelessResetRateLimiter
{
    private Bucket _global;
    private readonly Bucket[] _perAddress;
    private readonly double _globalRate, _globalBurst, _addressRate, _addressBurst;

    /// <summary>
    /// Limits of <paramref name="globalPerSecond"/> resets a second (bursts of <paramref name="globalBurst"/>) for the
    /// endpoint and <paramref name="perAddressPerSecond"/> (bursts of <paramref name="perAddressBurst"/>) for each
    /// remote address, tracked in <paramref name="addressSlots"/> slots.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate not positive, a burst below 1, or fewer than 1 slot.</exception>
    public StatelessResetRateLimiter(double globalPerSecond = 1000, int globalBurst = 100, double perAddressPerSecond = 10,
        int perAddressBurst = 10, int addressSlots = 1024)
    {
        if (!(globalPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(globalPerSecond), globalPerSecond, "The rate must be positive.");
        if (!(perAddressPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(perAddressPerSecond), perAddressPerSecond, "The rate must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(globalBurst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perAddressBurst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(addressSlots, 1);
        _globalRate = globalPerSecond;
        _globalBurst = globalBurst;
        _addressRate = perAddressPerSecond;
        _addressBurst = perAddressBurst;
        _global = new Bucket { Tokens = globalBurst, Last = Instant.Zero };
        _perAddress = new Bucket[addressSlots];
        for (int i = 0; i < _perAddress.Length; i++) _perAddress[i] = new Bucket { Tokens = perAddressBurst, Last = Instant.Zero };
    }

    /// <summary>
    /// Takes one reset from the endpoint's budget and from <paramref name="remote"/>'s. False (and nothing taken)
    /// when either is exhausted.
    /// </summary>
    public bool TryAcquire(Instant now, System.Net.SocketAddress remote) => TryAcquire(now, RemoteAddressKey.From(remote));

    /// <summary>As <see cref="TryAcquire(Instant, System.Net.SocketAddress)"/> for an <see cref="System.Net.IPEndPoint"/>.</summary>
    public bool TryAcquire(Instant now, System.Net.IPEndPoint remote) => TryAcquire(now, RemoteAddressKey.From(remote));

    internal bool TryAcquire(Instant now, RemoteAddressKey remote)
    {
        // The address only, not the port: a peer cannot escape its limit by changing ports.
        var hash = new HashCode();
        hash.AddBytes(remote.Address);
        ref Bucket slot = ref _perAddress[(uint)hash.ToHashCode() % (uint)_perAddress.Length];
        Refill(ref slot, now, _addressRate, _addressBurst);
        Refill(ref _global, now, _globalRate, _globalBurst);
        if (slot.Tokens < 1 || _global.Tokens < 1) return false;
        slot.Tokens -= 1;
        _global.Tokens -= 1;
        return true;
    }

    private static void Refill(ref Bucket bucket, Instant now, double rate, double burst)
    {
        if (now <= bucket.Last) return;
        double seconds = (now - bucket.Last).TotalSeconds;
        bucket.Tokens = Math.Min(burst, bucket.Tokens + seconds * rate);
        bucket.Last = now;
    }

    private struct Bucket
    {
        public double Tokens;
        public Instant Last;
    }
}
