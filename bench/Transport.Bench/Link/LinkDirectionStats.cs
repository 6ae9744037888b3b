namespace Transport.Bench.Link;

/// <summary>
/// What one direction of the forwarder did: packets in and out, drops by cause, how late packets were written against
/// the instant the model made them due, and the forwarding thread's CPU use. <see cref="CpuSeconds"/> and
/// <see cref="WallSeconds"/> are known once the forwarder has stopped (zero before).
/// </summary>
public sealed record LinkDirectionStats
{
    /// <summary>Packets read from the sending side's TUN device, and their bytes (IP packets).</summary>
    public long Received { get; init; }
    /// <summary>Bytes of <see cref="Received"/>.</summary>
    public long ReceivedBytes { get; init; }
    /// <summary>Packets written to the receiving side's TUN device.</summary>
    public long Forwarded { get; init; }
    /// <summary>Bytes of <see cref="Forwarded"/>.</summary>
    public long ForwardedBytes { get; init; }
    /// <summary>Packets dropped by random loss.</summary>
    public long DroppedLoss { get; init; }
    /// <summary>Packets dropped by the Gilbert-Elliott chain.</summary>
    public long DroppedBurstLoss { get; init; }
    /// <summary>Packets dropped because the bottleneck queue was full (drop-tail).</summary>
    public long DroppedQueueFull { get; init; }
    /// <summary>Packets dropped because the forwarder's ring was full (not part of the model: raise the ring capacity).</summary>
    public long DroppedRingFull { get; init; }
    /// <summary>Writes to the receiving device that failed.</summary>
    public long WriteErrors { get; init; }
    /// <summary>Largest bottleneck queue seen, in bytes and in packets.</summary>
    public long MaxQueuedBytes { get; init; }
    /// <summary>Largest bottleneck queue seen, in packets.</summary>
    public long MaxQueuedPackets { get; init; }
    /// <summary>Median lateness (write instant minus due instant), µs, in 1 µs buckets.</summary>
    public double LatenessP50Microseconds { get; init; }
    /// <summary>99th percentile lateness, µs.</summary>
    public double LatenessP99Microseconds { get; init; }
    /// <summary>Largest lateness, µs.</summary>
    public double LatenessMaxMicroseconds { get; init; }
    /// <summary>Which packet (1 = the first forwarded) was the latest.</summary>
    public long LatenessMaxPacket { get; init; }
    /// <summary>Mean lateness, µs.</summary>
    public double LatenessMeanMicroseconds { get; init; }
    /// <summary>Whether the thread ran under SCHED_FIFO.</summary>
    public bool Realtime { get; init; }
    /// <summary>Why SCHED_FIFO was refused, if it was.</summary>
    public string RealtimeError { get; init; } = "";
    /// <summary>CPU seconds the forwarding thread used (system time includes the kernel work its writes trigger).</summary>
    public double CpuSeconds { get; init; }
    /// <summary>Seconds the forwarding thread ran.</summary>
    public double WallSeconds { get; init; }
}
