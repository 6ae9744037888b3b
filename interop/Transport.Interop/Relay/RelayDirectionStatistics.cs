namespace Transport.Interop.Relay;

/// <summary>Counters of one direction of a <see cref="UdpRelay"/>; read while it runs or after.</summary>
public sealed class RelayDirectionStatistics
{
    internal long _mtuDrops;
    internal long _received, _forwarded, _queueDrops, _randomDrops, _listDrops, _blackholeDrops, _staleDrops, _corrupted, _sendErrors;
    internal long _latenessCount, _latenessSumTicks, _latenessMaxTicks;
    internal readonly long[] _latenessBuckets = new long[LatenessBucketBoundsMicroseconds.Length + 1];

    /// <summary>Upper bounds (µs) of the lateness histogram buckets in <see cref="LatenessHistogram"/>; the last bucket is "more".</summary>
    public static int[] LatenessBucketBoundsMicroseconds { get; } = [10, 25, 50, 100, 250, 500, 1000, 2000, 5000];

    /// <summary>Datagrams that arrived at the relay in this direction.</summary>
    public long Received => Interlocked.Read(ref _received);
    /// <summary>Datagrams larger than the scenario's MTU (not captured, not counted in <see cref="Received"/>).</summary>
    public long MtuDrops => Interlocked.Read(ref _mtuDrops);
    /// <summary>Datagrams sent on (possibly corrupted).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);
    /// <summary>Dropped because the bottleneck queue was full (drop-tail).</summary>
    public long QueueDrops => Interlocked.Read(ref _queueDrops);
    /// <summary>Dropped by drop-rate.</summary>
    public long RandomDrops => Interlocked.Read(ref _randomDrops);
    /// <summary>Dropped by droplist.</summary>
    public long ListDrops => Interlocked.Read(ref _listDrops);
    /// <summary>Dropped by a blackhole window.</summary>
    public long BlackholeDrops => Interlocked.Read(ref _blackholeDrops);
    /// <summary>Server-to-client datagrams dropped because they were sent to a NAT mapping that had been rebound.</summary>
    public long StaleMappingDrops => Interlocked.Read(ref _staleDrops);
    /// <summary>Forwarded with one byte replaced by corrupt-rate.</summary>
    public long Corrupted => Interlocked.Read(ref _corrupted);
    /// <summary>Sends the OS refused (e.g. no route, buffer full).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Datagrams whose forwarding time was measured against their due time.</summary>
    public long LatenessSamples => Interlocked.Read(ref _latenessCount);
    /// <summary>Mean lateness of forwarding (actual send time minus due time).</summary>
    public TimeSpan MeanLateness => LatenessSamples == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _latenessSumTicks) / LatenessSamples);
    /// <summary>Largest lateness of forwarding.</summary>
    public TimeSpan MaxLateness => TimeSpan.FromTicks(Interlocked.Read(ref _latenessMaxTicks));

    /// <summary>Counts of lateness per bucket of <see cref="LatenessBucketBoundsMicroseconds"/> (plus one for "more").</summary>
    public long[] LatenessHistogram
    {
        get
        {
            var copy = new long[_latenessBuckets.Length];
            for (int i = 0; i < copy.Length; i++) copy[i] = Interlocked.Read(ref _latenessBuckets[i]);
            return copy;
        }
    }

    internal void AddLateness(long ticks)
    {
        if (ticks < 0) ticks = 0;
        Interlocked.Increment(ref _latenessCount);
        Interlocked.Add(ref _latenessSumTicks, ticks);
        long max;
        while (ticks > (max = Interlocked.Read(ref _latenessMaxTicks)) && Interlocked.CompareExchange(ref _latenessMaxTicks, ticks, max) != max) { }
        long us = ticks / 10;
        int bucket = 0;
        while (bucket < LatenessBucketBoundsMicroseconds.Length && us > LatenessBucketBoundsMicroseconds[bucket]) bucket++;
        Interlocked.Increment(ref _latenessBuckets[bucket]);
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString()
    {
        var hist = LatenessHistogram;
        var parts = new string[hist.Length];
        for (int i = 0; i < hist.Length; i++)
            parts[i] = (i < LatenessBucketBoundsMicroseconds.Length ? "<=" + LatenessBucketBoundsMicroseconds[i] : ">" + LatenessBucketBoundsMicroseconds[^1]) + "us:" + hist[i];
        return $"received {Received}, forwarded {Forwarded} (corrupted {Corrupted}), dropped: mtu {MtuDrops}, queue {QueueDrops}, random {RandomDrops}, " +
               $"list {ListDrops}, blackhole {BlackholeDrops}, stale {StaleMappingDrops}; send errors {SendErrors}; lateness mean " +
               $"{MeanLateness.TotalMicroseconds:F0}us max {MaxLateness.TotalMicroseconds:F0}us [{string.Join(' ', parts)}]";
    }
}
