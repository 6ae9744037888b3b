using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// A token-bucket pacer (RFC 9002 §7.7): tokens (bytes) refill at the controller's pacing rate up to a bounded burst,
/// and a packet may leave once the bucket holds its size. The burst is
/// max(2 · mds, min(10 · mds, rate · 1 ms)): at least two datagrams so ACK clocking never stalls, at most ten (the
/// initial window's worth, RFC 9002 §7.7's advice against bursts beyond it), and about 1 ms of data in between,
/// so timer granularity costs little throughput. A rate of 0 means no pacing. Sans-I/O: the caller passes the time.
/// <para>
/// A driver that comes back late for a packet the pacer held (it asks at <c>now</c> past the release time
/// <see cref="NextSendTime"/> gave) may catch up: the bucket's bound grows by the lateness times the rate, up to ten
/// datagrams, for the packets sent at that instant. Without it a loaded machine's endpoint, whose threads woke every 5 to
/// 10 ms, sent one small bucket (two datagrams at 10 Mbit/s) per wake-up and paced a 10 Mbit/s download down to
/// 3.9 Mbit/s while the window (73 to 140 KB) was up to twice the path's BDP plus queue (the interop goodput case). A punctual driver never asks
/// late, so it sees the plain bucket.
/// </para>
/// </summary>
public sealed class Pacer
{
    /// <summary>The time the burst is sized to cover at the pacing rate.</summary>
    public static readonly TimeSpan BurstInterval = TimeSpan.FromMilliseconds(1);

    private int _maxDatagramSize;
    private double _rate;
    private double _tokens;
    private Instant _lastRefill;
    private Instant? _promisedRelease; // the release time NextSendTime gave a packet it held back, until a packet is sent

    /// <summary>A pacer for a path whose maximum datagram size is <paramref name="maxDatagramSize"/>; it starts unpaced.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a possible UDP payload size.</exception>
    public Pacer(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _maxDatagramSize = maxDatagramSize;
        _tokens = BurstSize;
    }

    /// <summary>The pacing rate in bytes per second; 0 when not pacing.</summary>
    public double Rate => _rate;

    /// <summary>The bucket's capacity in bytes: max(2 · mds, min(10 · mds, rate · 1 ms)).</summary>
    public long BurstSize =>
        Math.Max(2L * _maxDatagramSize, Math.Min(10L * _maxDatagramSize, (long)(_rate * BurstInterval.TotalSeconds)));

    /// <summary>The tokens (bytes) in the bucket at the last update; negative after a packet larger than the bucket.</summary>
    public double Tokens => _tokens;

    /// <summary>Sets the pacing rate (for example from <see cref="ICongestionController.PacingRate"/> after each ACK).</summary>
    /// <param name="now">The current time; tokens earned so far are credited at the old rate.</param>
    /// <param name="bytesPerSecond">The new rate; 0 turns pacing off.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative or not a number.</exception>
    public void SetRate(Instant now, double bytesPerSecond)
    {
        if (!(bytesPerSecond >= 0) || double.IsPositiveInfinity(bytesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "The pacing rate must be a finite number of bytes per second, at least 0.");
        Refill(now);
        bool wasUnpaced = _rate <= 0;
        _rate = bytesPerSecond;
        long burst = BurstSize;
        if (wasUnpaced) _tokens = burst;
        else _tokens = Math.Min(_tokens, CapAt(now, burst)); // a late driver's catch-up survives the ACK that woke it
    }

    /// <summary>The path's maximum datagram size changed; the burst bounds follow it.</summary>
    public void OnMaxDatagramSizeChanged(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _maxDatagramSize = maxDatagramSize;
        _tokens = Math.Min(_tokens, BurstSize);
    }

    /// <summary>
    /// The earliest time a packet of <paramref name="bytes"/> bytes may leave: <paramref name="now"/> when the bucket
    /// holds enough tokens (or pacing is off), otherwise the instant it will. A packet larger than the bucket waits for a
    /// full bucket.
    /// </summary>
    public Instant NextSendTime(Instant now, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (_rate <= 0) return now;
        long burst = BurstSize;
        double need = Math.Min(bytes, burst);
        double tokens = TokensAt(now, burst);
        if (tokens >= need) return now;
        double seconds = (need - tokens) / _rate;
        long ticks = (long)Math.Ceiling(seconds * TimeSpan.TicksPerSecond);
        Instant from = now > _lastRefill ? now : _lastRefill;
        Instant release = from + TimeSpan.FromTicks(Math.Max(ticks, 1));
        _promisedRelease = release;
        return release;
    }

    /// <summary>A packet of <paramref name="bytes"/> bytes left at <paramref name="now"/>: take its tokens.</summary>
    public void OnPacketSent(Instant now, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Refill(now);
        _promisedRelease = null; // the catch-up, if any, is in the tokens now
        if (_rate <= 0) return;
        // Debt is bounded to one bucket so a sender that ignored the pacer is not punished forever.
        _tokens = Math.Max(_tokens - bytes, -(double)BurstSize);
    }

    private double TokensAt(Instant now, long burst)
    {
        if (now <= _lastRefill) return _tokens;
        return Math.Min(CapAt(now, burst), _tokens + _rate * (now - _lastRefill).TotalSeconds);
    }

    /// <summary>The bucket's bound at <paramref name="now"/>: the burst, plus the lateness of a driver past a promised release (at most ten datagrams).</summary>
    private double CapAt(Instant now, long burst)
    {
        if (_promisedRelease is not { } release || now <= release || _rate <= 0) return burst;
        return Math.Max(burst, Math.Min(10.0 * _maxDatagramSize, burst + _rate * (now - release).TotalSeconds));
    }

    private void Refill(Instant now)
    {
        if (_rate <= 0)
        {
            _tokens = BurstSize;
            _promisedRelease = null;
        }
        else
        {
            _tokens = TokensAt(now, BurstSize);
        }
        if (now > _lastRefill) _lastRefill = now;
    }
}
